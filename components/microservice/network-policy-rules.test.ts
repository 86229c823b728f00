import { beforeAll, describe, expect, it } from "vitest";
import { loadServiceRegistry, type RegisteredService } from "../../services/registry.js";
import { type PolicyContext, serviceNetworkPolicySpec } from "./network-policy-rules.js";

let services: RegisteredService[];
beforeAll(async () => {
  services = await loadServiceRegistry();
});

const context = (): PolicyContext => ({
  services,
  isolatedCidrs: ["10.40.200.0/22", "10.40.204.0/22", "10.40.208.0/22"],
  kafkaCidrs: ["10.40.0.0/18", "10.40.64.0/18", "10.40.128.0/18"],
  ingressNamespace: "ingress-nginx",
  observabilityNamespace: "observability",
  otlpPort: 4318,
  callsAwsApis: false,
});
type Peer = {
  podSelector?: { matchLabels: Record<string, string> };
  namespaceSelector?: unknown;
  ipBlock?: { cidr: string };
};
type Rule = { from?: Peer[]; to?: Peer[]; ports: { protocol: string; port: number }[] };
const policy = (name: string, ctx: Partial<PolicyContext> = {}) => {
  const spec = serviceNetworkPolicySpec(services.find((s) => s.name === name)!, { ...context(), ...ctx });
  return { ingress: spec.ingress as Rule[], egress: spec.egress as Rule[], spec };
};
const callersOn = (rules: Rule[], port: number) =>
  rules
    .filter((r) => r.ports.some((p) => p.port === port))
    .flatMap((r) => r.from ?? [])
    .map((p) => p.podSelector?.matchLabels["app.kubernetes.io/name"] ?? "namespace");
const egressPorts = (rules: Rule[]) => rules.flatMap((r) => r.ports.map((p) => p.port));

describe("service NetworkPolicies", () => {
  it("select the service's pods and govern both directions", () => {
    const { spec } = policy("orders");
    expect(spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "orders" } });
    expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it("admit to catalog's port exactly its callers: the gateway, orders and search (reindex)", () => {
    expect(callersOn(policy("catalog").ingress, 7102).sort()).toEqual(["gateway", "orders", "search"]);
  });

  it("admit the ingress controller's namespace to the gateway only", () => {
    const fromIngress = (name: string) =>
      policy(name).ingress.some((r) =>
        (r.from ?? []).some((p) => JSON.stringify(p.namespaceSelector ?? {}).includes("ingress-nginx")),
      );
    expect(fromIngress("gateway")).toBe(true);
    expect(services.filter((s) => s.name !== "gateway").some((s) => fromIngress(s.name))).toBe(false);
  });

  it("admit nothing from the observability namespace: services push metrics, nothing scrapes them", () => {
    for (const service of services)
      expect(
        policy(service.name).ingress.filter((r) => JSON.stringify(r.from).includes("observability")),
        service.name,
      ).toEqual([]);
    for (const service of services)
      for (const port of policy(service.name).ingress.flatMap((r) => r.ports.map((p) => p.port)))
        expect(port, service.name).toBe(service.port);
  });

  it("let every service reach the collector's OTLP/HTTP port and no other observability port", () => {
    for (const service of services) {
      const toObservability = policy(service.name).egress.filter((r) =>
        JSON.stringify(r.to).includes("observability"),
      );
      expect(
        toObservability.flatMap((r) => r.ports),
        service.name,
      ).toEqual([{ protocol: "TCP", port: 4318 }]);
    }
  });

  it("let search reach OpenSearch and Kafka but not Postgres or Redis", () => {
    const ports = egressPorts(policy("search").egress);
    expect(ports).toContain(443);
    expect(ports).toContain(9096);
    expect(ports).not.toContain(5432);
    expect(ports).not.toContain(6379);
    const toOpenSearch = policy("search").egress.find((r) => r.ports[0]?.port === 443)!;
    expect(toOpenSearch.to?.map((p) => p.ipBlock?.cidr)).toEqual(context().isolatedCidrs);
  });

  it("let orders reach its Postgres, Kafka, catalog's port, DNS and the collector, nothing more", () => {
    expect(egressPorts(policy("orders").egress).sort((a, b) => a - b)).toEqual([
      53, 53, 4318, 5432, 7102, 9096,
    ]);
    const kafka = policy("orders").egress.find((r) => r.ports[0]?.port === 9096)!;
    expect(kafka.to?.map((p) => p.ipBlock?.cidr)).toEqual(context().kafkaCidrs);
  });

  it("open HTTPS to AWS APIs (STS for IRSA) only when the service calls them, never to private ranges", () => {
    const aws = (ctx: Partial<PolicyContext>) =>
      policy("search", ctx).egress.find((r) => (r.to ?? []).some((p) => p.ipBlock?.cidr === "0.0.0.0/0"));
    expect(aws({})).toBeUndefined();
    expect(aws({ callsAwsApis: true })?.to?.[0]).toEqual({
      ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] },
    });
  });
});
