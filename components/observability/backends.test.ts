import { describe, expect, it } from "vitest";
import { microserviceDefaults } from "../microservice/microservice.js";
import { charts, endpoints, observabilityNamespace, releases } from "./backends.js";

describe("endpoints", () => {
  const e = endpoints(observabilityNamespace);

  it("are where the Microservice component sends telemetry and runs its analysis queries", () => {
    expect(e.otlpHttp).toBe(microserviceDefaults.otlpEndpoint);
    expect(e.prometheusQuery).toBe(microserviceDefaults.prometheusAddress);
    expect(observabilityNamespace).toBe(microserviceDefaults.observabilityNamespace);
  });

  it("name the Services of the releases' fullnameOverride", () => {
    expect(e.otlpHttp).toBe("http://otel-collector.observability.svc:4318");
    expect(e.otlpGrpc).toBe("http://otel-collector.observability.svc:4317");
    expect(e.gatewayService).toBe("otel-gateway.observability");
    expect(e.metricsPush).toBe("http://mimir-distributor.observability.svc:8080/api/v1/push");
    expect(e.logsOtlp).toBe("http://loki-gateway.observability.svc/otlp");
    expect(e.tracesOtlp).toBe("tempo-distributor.observability.svc:4317");
    expect(e.grafana).toBe("http://grafana.observability.svc");
  });
});

describe("charts", () => {
  it("pin an exact version of every release, from an https repository", () => {
    expect(Object.keys(charts).sort()).toEqual(Object.keys(releases).sort());
    for (const pin of Object.values(charts)) {
      expect(pin.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(pin.repo).toMatch(/^https:\/\//);
    }
  });
});
