import { describe, expect, it } from "vitest";
import { changed, check, messages, resource } from "../test/fixtures.js";
import { noPlaintextSecrets, normalizeKey } from "./secrets.js";

const password = resource("random:index/randomPassword:RandomPassword", "db-password", { length: 32 });
const db = resource(
  "aws:rds/cluster:Cluster",
  "db",
  { masterUsername: "admin", masterPassword: "[secret]" },
  { masterPassword: [password] },
);
const secret = resource("aws:secretsmanager/secret:Secret", "kafka", {
  name: "kafka",
  secretId: "x",
  kmsKeyId: "arn",
});

describe("no-plaintext-secrets", () => {
  it("passes masked secrets, values derived from another resource, and names that only refer to secrets", async () => {
    const derived = changed(db, (r) => (r.inputs["masterPassword"] = "derived-from-random")); // as the real engine shows it
    expect(messages(await check(noPlaintextSecrets, [password, db, derived, secret]))).toEqual([]);
  });

  it("flags a literal password, a nested token and a pasted private key", async () => {
    const literal = changed(db, (r) => {
      r.inputs["masterPassword"] = "hunter2";
      r.dependencies = {};
    });
    const nested = resource("kubernetes:core/v1:ConfigMap", "cfg", {
      data: { GRAFANA_API_TOKEN: "glsa_abc" },
    });
    const pem = resource("kubernetes:core/v1:ConfigMap", "tls", {
      data: { "tls.key": "-----BEGIN EC PRIVATE KEY-----\nMHc" },
    });
    expect(messages(await check(noPlaintextSecrets, [literal, nested, pem]))).toEqual([
      "masterPassword holds a value typed into the program or its plain config; make it a secret or derive it from a resource",
      "data.GRAFANA_API_TOKEN holds a value typed into the program or its plain config; make it a secret or derive it from a resource",
      "data.tls.key contains what looks like a private key or an access key; make it a secret or derive it from a resource",
    ]);
  });

  it("judges a Kubernetes Secret's computed data by the stringData it comes from", async () => {
    const fromRandom = resource(
      "kubernetes:core/v1:Secret",
      "db",
      { stringData: { password: "x" }, data: { password: "eA==" } },
      { stringData: [password] },
    );
    expect(messages(await check(noPlaintextSecrets, [password, fromRandom]))).toEqual([]);
    const literal = changed(fromRandom, (r) => (r.dependencies = {}));
    expect(messages(await check(noPlaintextSecrets, [literal]))).toHaveLength(2);
  });

  it("treats a key-encryption key as a secret: generated passes, typed in is flagged", async () => {
    const kek = resource("random:index/randomBytes:RandomBytes", "identity-kek", {
      length: 32,
      base64: "[secret]",
    });
    const generated = resource(
      "kubernetes:core/v1:Secret",
      "identity-generated",
      { stringData: { IDENTITY_KEY_ENCRYPTION_KEY: "derived-from-random" } },
      { stringData: [kek] },
    );
    expect(messages(await check(noPlaintextSecrets, [kek, generated]))).toEqual([]);
    const typedIn = changed(generated, (r) => (r.dependencies = {}));
    expect(messages(await check(noPlaintextSecrets, [typedIn]))).toEqual([
      "stringData.IDENTITY_KEY_ENCRYPTION_KEY holds a value typed into the program or its plain config; make it a secret or derive it from a resource",
    ]);
  });

  it("leaves default providers (configured from stack config) and generators' own outputs alone", async () => {
    const provider = resource("pulumi:providers:cloudflare", "default_6_22_1", {
      apiToken: "from-pulumi-config-secret",
    });
    const key = resource("tls:index/privateKey:PrivateKey", "key", {
      privateKeyPem: "-----BEGIN PRIVATE KEY-----",
    });
    expect(messages(await check(noPlaintextSecrets, [provider, key]))).toEqual([]);
  });
});

describe("property names", () => {
  it.each([
    ["masterPassword", "master_password"],
    ["privateKeyPem", "private_key_pem"],
    ["auth-token", "auth_token"],
    ["tls.key", "tls_key"],
  ])("%s reads as %s", (key, normalized) => {
    expect(normalizeKey(key)).toBe(normalized);
  });
});
