import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { publicKeyFromSeed } from "../../contracts/ed25519.js";
import { loadServiceRegistry } from "../../services/registry.js";
import { outputValue, recorded } from "../../test/pulumi.js";
import { callerIdentityEnv } from "./pod-template.js";
import { ServiceIdentities, validateServiceIdentitiesArgs } from "./service-identities.js";

const provider = new k8s.Provider("si-test", { kubeconfig: "{}" });
const services = await loadServiceRegistry();
const options = new Map<string, pulumi.CustomResourceOptions>();
const built = new ServiceIdentities(
  "si",
  { services, provider, namespace: "platform" },
  {
    transformations: [
      ({ name, opts }) => {
        options.set(name, opts);
        return undefined;
      },
    ],
  },
);
const byName = (type: string) => recorded(type, built);
const metadataName = (r: { inputs: Record<string, unknown> }) =>
  (r.inputs["metadata"] as { name: string }).name;

describe("ServiceIdentities", () => {
  it("generates one signing seed per calling service, protected like the other generated secrets", async () => {
    const seeds = await byName("random:index/randomBytes:RandomBytes");
    expect(seeds.map((s) => s.name).sort()).toEqual([
      "si-gateway-call-key",
      "si-orders-call-key",
      "si-search-call-key",
    ]);
    expect(options.get("si-gateway-call-key")).toMatchObject({ protect: true });
  });

  it("delivers each seed only in its caller's Secret, secret in the plan", async () => {
    const secrets = await byName("kubernetes:core/v1:Secret");
    expect(secrets.map(metadataName).sort()).toEqual([
      "gateway-call-key",
      "orders-call-key",
      "search-call-key",
    ]);
    for (const secret of secrets) expect(secret.inputs["stringData"]).toBe("[secret]");
  });

  it("tells each gRPC service its callers' public keys, and that only the gateway names end users", async () => {
    const maps = await byName("kubernetes:core/v1:ConfigMap");
    const catalog = maps.find((m) => metadataName(m) === "catalog-callers")!;
    const data = catalog.inputs["data"] as Record<string, string>;
    const keys = Object.fromEntries(data["CALLER_KEYS"]!.split(",").map((entry) => entry.split(":")));
    expect(Object.keys(keys)).toEqual(["gateway", "orders", "search"]);
    expect(keys["orders"]).toBe(await outputValue(built.publicKeys["orders"]!));
    expect(data["PRINCIPAL_CALLERS"]).toBe("gateway");
    expect(maps.map(metadataName).sort()).toEqual(
      services.filter((s) => s.protocol === "grpc").map((s) => `${s.name}-callers`),
    );
  });

  it("derives each public key from its caller's seed", async () => {
    const [secret] = (await byName("kubernetes:core/v1:Secret")).filter(
      (s) => metadataName(s) === "orders-call-key",
    );
    expect(secret!.dependencies["stringData"]).toHaveLength(1);
    expect(await outputValue(built.publicKeys["orders"]!)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicKeyFromSeed(Buffer.alloc(32, 7).toString("base64"))).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("puts the key and the callers into each pod's environment, by reference", () => {
    const of = (name: string) => services.find((s) => s.name === name)!;
    expect(callerIdentityEnv(of("orders")).map((e) => e.name)).toEqual([
      "CALL_SIGNING_KEY",
      "CALLER_KEYS",
      "PRINCIPAL_CALLERS",
    ]);
    expect(callerIdentityEnv(of("audit")).map((e) => e.name)).toEqual(["CALLER_KEYS", "PRINCIPAL_CALLERS"]);
    expect(callerIdentityEnv(of("gateway"))).toEqual([
      {
        name: "CALL_SIGNING_KEY",
        valueFrom: { secretKeyRef: { name: "gateway-call-key", key: "CALL_SIGNING_KEY" } },
      },
    ]);
  });

  it("refuses a registry in which nobody calls anybody", () => {
    expect(() =>
      validateServiceIdentitiesArgs({
        services: services.map((s) => ({ ...s, calls: [] })),
        provider,
        namespace: "p",
      }),
    ).toThrow(/no service calls another/);
  });
});
