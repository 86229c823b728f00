import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceNodeOptions, serviceV8Flags } from "../../local/processes.js";
import { bundleService } from "./bundle.js";

const root = resolve(import.meta.dirname, "../..");

describe("bundleService", () => {
  const out = mkdtempSync(join(tmpdir(), "bundle-"));
  const built = bundleService(root, "catalog", out);

  it("writes one ESM file with its migrations beside it", async () => {
    const { file } = await built;
    expect(file).toBe(join(out, "services/catalog/main.mjs"));
    expect(readFileSync(file, "utf8")).toMatch(/^import \{ createRequire as __createRequire \}/);
    expect(existsSync(join(dirname(file), "migrations/001.do.products.sql"))).toBe(true);
    expect(existsSync(join(dirname(file), "runtime-sql/001.do.outbox.sql"))).toBe(true);
  });

  it("writes its source map trimmed in the dependencies (source-map.ts)", async () => {
    const { file } = await built;
    const map = JSON.parse(readFileSync(`${file}.map`, "utf8")) as {
      sources: string[];
      sourcesContent: (string | null)[];
    };
    const own = map.sources.map((s) => !s.includes("node_modules/"));
    expect(own.filter(Boolean).length).toBeGreaterThan(10);
    expect(map.sourcesContent.every((text, i) => (text === null) === !own[i])).toBe(true);
  });

  it("puts the protos grpc-js loads where its modules look: <bundle dir>/../../proto", async () => {
    const { file } = await built;
    const protoRoot = join(dirname(file), "../../proto");
    expect(existsSync(join(protoRoot, "health/v1/health.proto"))).toBe(true);
    expect(existsSync(join(protoRoot, "grpc/reflection/v1/reflection.proto"))).toBe(true);
  });

  it("ships the native packages it leaves out of the bundle, with this platform's binary", async () => {
    await built;
    expect(existsSync(join(out, "node_modules/@node-rs/argon2/package.json"))).toBe(true);
    expect(
      existsSync(join(out, `node_modules/@node-rs/argon2-${process.platform}-${process.arch}-gnu`)),
    ).toBe(true);
  });

  it("inlines the WebAssembly the Kafka client loads, so the bundle reads no file beside a module", async () => {
    const { file } = await built;
    expect(readFileSync(file, "utf8")).not.toContain("native.wasm");
  });

  it("refuses a service without an entry point", async () => {
    await expect(bundleService(root, "nowhere", out)).rejects.toThrow(
      /services\/nowhere\/main.ts does not exist/,
    );
  });
});

describe("the Dockerfile", () => {
  const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");

  it("copies exactly the layout the bundler writes", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable in the Dockerfile
    expect(dockerfile).toContain('cp -r "dist/services/${SERVICE}" /out/app/services/current');
    expect(dockerfile).toContain("cp -r dist/proto dist/node_modules /out/app/");
    expect(dockerfile).toMatch(/^ENTRYPOINT \[.*, "\/app\/services\/current\/main\.mjs"\]$/m);
  });

  it("trusts the RDS certificate authorities, so verify-full connections to Aurora succeed", () => {
    expect(dockerfile).toMatch(
      /ADD .*https:\/\/truststore\.pki\.rds\.amazonaws\.com\/global\/global-bundle\.pem (\S+)/,
    );
    const target = /global-bundle\.pem (\S+)/.exec(dockerfile)?.[1];
    expect(dockerfile).toContain(`NODE_EXTRA_CA_CERTS=${target}`);
  });

  it("runs the services with the Node flags of npm start and the bench", () => {
    expect(dockerfile).toContain(`NODE_OPTIONS="${serviceNodeOptions.join(" ")}"`);
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1] ?? "[]";
    expect(JSON.parse(entrypoint)).toEqual([
      "/nodejs/bin/node",
      ...serviceV8Flags,
      "/app/services/current/main.mjs",
    ]);
  });

  it("runs Node 24 as the pods' non-root user", () => {
    expect(dockerfile).toMatch(/ARG NODE_VERSION=24\./);
    expect(dockerfile).toMatch(/FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot/);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
  });
});
