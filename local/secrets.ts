import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { dataDir } from "./paths.js";

const file = () => dataDir("platform", "secrets.json");

/**
 * Local credentials, generated once per checkout and kept in the data directory (mode 600)
 * so a restart reuses them: database role passwords, the services' key-encryption keys, the
 * admin password. Production gets these from the Pulumi program and Kubernetes Secrets.
 */
export function localSecret(
  name: string,
  make: () => string = () => randomBytes(24).toString("base64url"),
  options: { readonly formerly?: string } = {},
): string {
  const path = file();
  const secrets: Record<string, string> = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  if (!secrets[name]) {
    // A secret kept under an earlier name moves to the new one: data sealed under it stays readable.
    const former = options.formerly !== undefined ? secrets[options.formerly] : undefined;
    secrets[name] = former ?? make();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets[name];
}
