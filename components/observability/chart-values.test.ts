import { describe, expect, it } from "vitest";
import { microserviceDefaults } from "../microservice/microservice.js";
import {
  agentClusterRules,
  agentValues,
  gatewayValues,
  grafanaValues,
  zoneAwareReplication,
} from "./chart-values.js";
import { agentConfig, gatewayConfig } from "./collector-config.js";

const pipeline = {
  gatewayService: "otel-gateway.observability",
  metricsPushUrl: "http://m/api/v1/push",
  logsOtlpUrl: "http://l/otlp",
  tracesOtlpEndpoint: "t:4317",
  baselineSamplingPercent: 10,
  slowTraceMs: 200,
};

describe("zoneAwareReplication", () => {
  it("pins one replica set to each zone", () => {
    expect(zoneAwareReplication(["eu-west-1a", "eu-west-1b", "eu-west-1c"])["zones"]).toEqual([
      { name: "zone-a", nodeSelector: { "topology.kubernetes.io/zone": "eu-west-1a" } },
      { name: "zone-b", nodeSelector: { "topology.kubernetes.io/zone": "eu-west-1b" } },
      { name: "zone-c", nodeSelector: { "topology.kubernetes.io/zone": "eu-west-1c" } },
    ]);
  });
});

describe("collector values", () => {
  const agent = agentValues(agentConfig(pipeline), []);
  const gateway = gatewayValues(gatewayConfig(pipeline));

  it("open only the OTLP ports, never a host port", () => {
    for (const values of [agent, gateway]) {
      const ports = values["ports"] as Record<string, { enabled: boolean; hostPort?: number }>;
      const open = Object.entries(ports)
        .filter(([, p]) => p.enabled)
        .map(([name]) => name);
      expect(open.sort()).toEqual(["metrics", "otlp", "otlp-http"]);
      for (const p of Object.values(ports)) expect(p.hostPort ?? 0).toBe(0);
    }
  });

  it("serve OTLP/HTTP on the agent's Service at the port the Microservice component sends to", () => {
    const ports = agent["ports"] as Record<string, { containerPort?: number; servicePort?: number }>;
    const servicePort = Number(new URL(microserviceDefaults.otlpEndpoint).port);
    expect(ports["otlp-http"]).toMatchObject({ containerPort: 4318, servicePort: 4318 });
    expect(servicePort).toBe(4318);
    expect(agent["service"]).toMatchObject({ enabled: true });
  });

  it("let the agent read pods and reach cAdvisor through the API server, and write nothing", () => {
    expect(agent["clusterRole"]).toEqual({ create: true, rules: agentClusterRules });
    const verbs = agentClusterRules.flatMap((r) => r["verbs"] as string[]);
    expect(new Set(verbs)).toEqual(new Set(["get", "list", "watch"]));
  });

  it("spread the gateway over the zones and keep two replicas through disruptions", () => {
    expect(gateway["topologySpreadConstraints"]).toEqual([
      expect.objectContaining({
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
      }),
    ]);
    expect(gateway["podDisruptionBudget"]).toEqual({ enabled: true, minAvailable: 2 });
  });
});

describe("grafanaValues", () => {
  it("reads the admin login from the named Secret and links back to the public URL", () => {
    const values = grafanaValues({ rootUrl: "https://grafana.example.com", adminSecret: "grafana-admin" });
    expect(values["admin"]).toMatchObject({ existingSecret: "grafana-admin" });
    expect(values["grafana.ini"]).toMatchObject({ server: { root_url: "https://grafana.example.com" } });
  });
});
