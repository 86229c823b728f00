import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** A stack's config as the Pulumi engine hands it to a program: flat keys, string values. */
export interface StackConfig {
  readonly stack: string;
  readonly values: Record<string, string>;
  /** Keys whose values were `secure:`; their values are placeholders offline. */
  readonly secretKeys: readonly string[];
}

/** What a `secure:` value reads as offline; the real value never leaves the stack's secrets provider. */
export const secretPlaceholder = (key: string) =>
  `offline-placeholder-for-${key.replace(/[^a-zA-Z0-9]+/g, "-")}`;

function isSecure(value: unknown): value is { secure: string } {
  return !!value && typeof value === "object" && !Array.isArray(value) && "secure" in value;
}

function replaceSecure(value: unknown, key: string, found: { secret: boolean }): unknown {
  if (isSecure(value)) {
    found.secret = true;
    return secretPlaceholder(key);
  }
  if (Array.isArray(value)) return value.map((v) => replaceSecure(v, key, found));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${key}.${k}`, found)]),
    );
  }
  return value;
}

/** Reads `Pulumi.<stack>.yaml` from the project root, replacing secure values by placeholders. */
export function readStackConfig(stack: string, root = process.cwd()): StackConfig {
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    throw new Error(
      `no stack "${stack}": ${file} does not exist (stacks are Pulumi.<stack>.yaml files in the project root)`,
    );
  }
  const doc = (parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, raw] of Object.entries(doc.config ?? {})) {
    const found = { secret: false };
    const value = replaceSecure(raw, key, found);
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (found.secret) secretKeys.push(key);
  }
  return { stack, values, secretKeys };
}
