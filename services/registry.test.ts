import { describe, expect, it } from "vitest";
import {
  addressVariable,
  defineService,
  generateSecret,
  type ServiceSpecInput,
} from "../contracts/service-spec.js";
import { loadServiceRegistry, resolveRegistry } from "./registry.js";

const base: ServiceSpecInput = {
  name: "alpha",
  summary: "a service for tests",
  port: 50100,
  protocol: "grpc",
  public: false,
  rollout: { strategy: "canary", weights: [10, 50], pause: "1m" },
  resources: { cpu: "100m", memory: "128Mi", cpuLimit: "1", memoryLimit: "256Mi" },
};
const svc = (over: Partial<ServiceSpecInput>) => defineService({ ...base, ...over });

describe("the service registry", () => {
  it("holds the seven services of the platform", async () => {
    const names = (await loadServiceRegistry()).map((s) => s.name);
    expect(names).toEqual(["audit", "catalog", "gateway", "identity", "notifications", "orders", "search"]);
  });

  it("lets audit consume every publisher's topic", async () => {
    const audit = (await loadServiceRegistry()).find((s) => s.name === "audit")!;
    expect(audit.consumedTopics).toEqual([
      "catalog.events.v1",
      "identity.events.v1",
      "notifications.events.v1",
      "orders.events.v1",
    ]);
    expect(audit.deadLetterTopic).toBe("audit.deadletter.v1");
  });

  it("derives callers from calls", async () => {
    const catalog = (await loadServiceRegistry()).find((s) => s.name === "catalog")!;
    expect(catalog.callers).toEqual(["gateway", "orders", "search"]);
  });

  it("scales every service between 2 and 20 pods", async () => {
    for (const s of await loadServiceRegistry()) {
      expect(s.scaling.min).toBeGreaterThanOrEqual(2);
      expect(s.scaling.max).toBeLessThanOrEqual(20);
    }
  });

  it("refuses a call to a service that does not exist", () => {
    expect(() => resolveRegistry([svc({ calls: ["ghost"] })])).toThrow(
      /alpha: calls unknown service "ghost"/,
    );
  });

  it("refuses reserving an RPC for a service that does not call it", () => {
    const beta = svc({ name: "beta", port: 50101, methodCallers: { Reserve: ["alpha"] } });
    expect(() => resolveRegistry([svc({}), beta])).toThrow(
      /beta: methodCallers.Reserve names alpha, which does not call beta/,
    );
  });

  it("reserves stock for orders and signing keys for the gateway", async () => {
    const registry = await loadServiceRegistry();
    const of = (name: string) => registry.find((s) => s.name === name)!;
    expect(of("catalog").methodCallers).toEqual({ ReserveStock: ["orders"], ReleaseStock: ["orders"] });
    expect(of("identity").methodCallers).toEqual({ GetSigningKey: ["gateway"] });
    expect(registry.filter((s) => s.authenticatesUsers).map((s) => s.name)).toEqual(["gateway"]);
  });

  it("refuses consuming a domain that publishes nothing", () => {
    const beta = svc({ name: "beta", port: 50101 });
    expect(() => resolveRegistry([svc({ events: { consumes: ["beta"] } }), beta])).toThrow(
      /publishes no events/,
    );
  });

  it("declares no generated secrets unless asked, and the KEKs of identity and notifications", async () => {
    expect(svc({}).secrets).toEqual([]);
    const secrets = Object.fromEntries((await loadServiceRegistry()).map((s) => [s.name, s.secrets]));
    expect(secrets["identity"]).toEqual([{ env: "IDENTITY_KEY_ENCRYPTION_KEY", generate: "key-256-base64" }]);
    expect(secrets["notifications"]).toEqual([
      { env: "NOTIFICATIONS_KEY_ENCRYPTION_KEY", generate: "key-256-base64" },
    ]);
  });

  it("refuses a generated secret without a proper variable, with an unknown generator, or twice", () => {
    expect(() => svc({ secrets: [{ env: "alpha-key", generate: "key-256-base64" }] })).toThrow(
      /secrets\.0\.env: an environment variable name/,
    );
    expect(() => svc({ secrets: [{ env: "ALPHA_KEY", generate: "rot13" as "key-256-base64" }] })).toThrow(
      /secrets\.0\.generate/,
    );
    const twice = { env: "ALPHA_KEY", generate: "key-256-base64" } as const;
    expect(() => svc({ secrets: [twice, twice] })).toThrow(/each secret needs its own env variable/);
  });

  it("makes a generated key of 32 random bytes in base64, different each time", () => {
    const key = generateSecret("key-256-base64");
    expect(Buffer.from(key, "base64")).toHaveLength(32);
    expect(Buffer.from(key, "base64").toString("base64")).toBe(key);
    expect(generateSecret("key-256-base64")).not.toBe(key);
  });

  it("names the variable a caller finds a service through", () => {
    expect(addressVariable("catalog")).toBe("CATALOG_ADDRESS");
    expect(addressVariable("order-history")).toBe("ORDER_HISTORY_ADDRESS");
  });

  it("refuses two services on one port", () => {
    expect(() => resolveRegistry([svc({}), svc({ name: "beta" })])).toThrow(
      /port 50100 is already used by alpha/,
    );
  });

  it("refuses a declaration with scaling beyond 20 pods, naming the field", () => {
    expect(() => svc({ scaling: { max: 40 } })).toThrow(
      /service "alpha" is declared wrongly:\n {2}- scaling.max/,
    );
  });

  it("gives every service SLOs of 99.9% available and 99% under 200 ms over 30 days, which it may override", () => {
    expect(svc({}).slo).toEqual({
      availability: 0.999,
      latency: { target: 0.99, thresholdSeconds: 0.2 },
      windowDays: 30,
    });
    expect(svc({ slo: { latency: { thresholdSeconds: 0.5 } } }).slo.latency).toEqual({
      target: 0.99,
      thresholdSeconds: 0.5,
    });
  });

  it("refuses an objective its burn-rate alerts could not guard, or a threshold the histogram cannot count", () => {
    expect(() => svc({ slo: { availability: 0.9, latency: { thresholdSeconds: 0.22 } } })).toThrow(
      /slo.availability: a share of requests such as 0.999 \(99.9%\), from 0.95 to below 1\n {2}- slo.latency.thresholdSeconds: a bucket bound of the request histogram/,
    );
  });

  it("refuses canary weights that do not increase", () => {
    expect(() => svc({ rollout: { strategy: "canary", weights: [50, 10], pause: "1m" } })).toThrow(
      /weights must increase/,
    );
  });
});
