import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { secretGenerators } from "../../contracts/service-spec.js";
import { loadServiceRegistry } from "../../services/registry.js";
import { outputValue, recorded } from "../../test/pulumi.js";
import { GeneratedSecrets, validateGeneratedSecretsArgs } from "./generated-secrets.js";

const provider = new k8s.Provider("gs-test", { kubeconfig: "{}" });
const services = await loadServiceRegistry();
const identity = services.find((s) => s.name === "identity")!;
const catalog = services.find((s) => s.name === "catalog")!;

/** The options each child was registered with, by name: the plan does not show them. */
const options = new Map<string, pulumi.CustomResourceOptions>();
const built = new GeneratedSecrets(
  "gs-identity",
  { service: identity, provider, namespace: "platform" },
  {
    transformations: [
      ({ name, opts }) => {
        options.set(name, opts);
        return undefined;
      },
    ],
  },
);

describe("GeneratedSecrets", () => {
  it("generates each declared secret once, as 32 random bytes", async () => {
    const generators = await recorded("random:index/randomBytes:RandomBytes", built);
    expect(generators.map((g) => [g.name, g.inputs["length"]])).toEqual([
      ["gs-identity-identity-key-encryption-key", 32],
    ]);
    expect(generators[0]!.inputs).not.toHaveProperty("keepers");
  });

  it("never rotates a key by accident: protected, and blind to changes of its inputs", () => {
    const opts = options.get("gs-identity-identity-key-encryption-key")!;
    expect(opts.protect).toBe(true);
    expect(opts.ignoreChanges).toEqual(expect.arrayContaining(["length", "keepers"]));
  });

  it("delivers them as the Secret <service>-generated, one key per variable, secret in the plan", async () => {
    const [secret] = await recorded("kubernetes:core/v1:Secret", built);
    const [generator] = await recorded("random:index/randomBytes:RandomBytes", built);
    expect(secret!.inputs).toMatchObject({
      metadata: { name: "identity-generated", namespace: "platform" },
      type: "Opaque",
      stringData: "[secret]",
    });
    expect(secret!.dependencies["stringData"]).toEqual([generator!.urn]);
  });

  it("hands out values of the declared generator's shape (32 bytes in base64), as secret Outputs", async () => {
    const value = built.values["IDENTITY_KEY_ENCRYPTION_KEY"]!;
    expect(await pulumi.isSecret(value)).toBe(true);
    const { bytes, encoding } = secretGenerators[identity.secrets[0]!.generate];
    const decoded = Buffer.from(await outputValue(value), encoding);
    expect(decoded).toHaveLength(bytes);
    expect(decoded.toString(encoding)).toBe(await outputValue(value));
    expect(Object.keys(built.values)).toEqual(identity.secrets.map((s) => s.env));
  });

  it("refuses a service that declares no secrets", () => {
    expect(() => validateGeneratedSecretsArgs({ service: catalog, provider, namespace: "platform" })).toThrow(
      /catalog declares no secrets/,
    );
  });
});
