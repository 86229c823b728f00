import { describe, expect, it } from "vitest";
import { loadServiceRegistry } from "../services/registry.js";
import { faultsFromEnv } from "../services/runtime/faults.js";
import { type LocalContext, localServiceEnv } from "./service-env.js";

const services = await loadServiceRegistry();
const catalog = services.find((s) => s.name === "catalog")!;
const context: LocalContext = {
  services,
  databases: {
    catalog: {
      url: "postgres://catalog_svc:pw@127.0.0.1:15432/catalog",
      migrationUrl: "postgres://catalog_owner:pw@127.0.0.1:15432/catalog",
    },
  },
  servers: { PLATFORM_REDIS_URL: "redis://:pw@127.0.0.1:16379", PLATFORM_KAFKA_BROKERS: "127.0.0.1:19092" },
  gatewayPort: 8080,
  adminEmail: "admin@platform.local",
  adminPassword: "pw",
};

describe("localServiceEnv", () => {
  it("points every service's telemetry at the local collector when it runs: OTLP/HTTP protobuf, metrics every 5 s", () => {
    const withCollector = {
      ...context,
      servers: { ...context.servers, PLATFORM_OTLP_ENDPOINT: "http://127.0.0.1:14318" },
    };
    for (const service of services)
      expect(localServiceEnv(service, withCollector), service.name).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:14318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_METRIC_EXPORT_INTERVAL: "5000",
      });
    expect(localServiceEnv(catalog, context)["OTEL_EXPORTER_OTLP_ENDPOINT"]).toBeUndefined();
  });

  it("allows faults, and switches the slow path on only when asked", () => {
    const off = localServiceEnv(catalog, context);
    expect(off["PLATFORM_ALLOW_FAULTS"]).toBe("true");
    expect(faultsFromEnv(off)).toEqual({});
    const on = localServiceEnv(catalog, { ...context, faults: { slowMs: 300, slowRoute: "GetProduct" } });
    expect(faultsFromEnv(on)).toEqual({ slowPath: { delayMs: 300, route: "GetProduct" } });
  });
});

describe("localServiceEnv with zones", () => {
  const zoned: LocalContext = { ...context, zones: ["a", "b", "c"] };
  const gateway = services.find((s) => s.name === "gateway")!;

  it("runs each zone's replica on its own port, labelled with its zone", () => {
    expect(localServiceEnv(catalog, zoned, "b")).toMatchObject({ PORT: "7202", ZONE: "b" });
    expect(localServiceEnv(gateway, zoned, "c")).toMatchObject({ PORT: "8280", ZONE: "c" });
  });

  it("points callers at every zone's replica of each callee", () => {
    expect(localServiceEnv(gateway, zoned, "b")["CATALOG_ADDRESS"]).toBe(
      "127.0.0.1:7102,127.0.0.1:7202,127.0.0.1:7302",
    );
  });

  it("keeps one zone as it was: the registry's ports and the label local", () => {
    expect(localServiceEnv(catalog, context)).toMatchObject({
      PORT: "7102",
      ZONE: "local",
      CATALOG_ADDRESS: "127.0.0.1:7102",
    });
  });
});
