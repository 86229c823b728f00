/**
 * Who may talk to a service and whom it may talk to, derived from the registry: the
 * namespace denies everything by default, and each service's NetworkPolicy opens exactly
 * its declared callers, callees and stores. Pure, so it is tested without mocks.
 * See https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */

import type { Store } from "../../contracts/service-spec.js";
import type { RegisteredService } from "../../services/registry.js";
import { scramPort } from "../kafka/kafka.js";
import { postgresPort } from "../postgres/postgres-plan.js";
import { redisPort } from "../redis/redis-plan.js";
import { opensearchPort } from "../search/search-plan.js";

/** The label every pod of a service carries, and policies select on. */
export const nameLabel = "app.kubernetes.io/name";

/** Where the stores live: data stores in the isolated subnets, Kafka brokers in the private ones. */
export interface StoreNetworks {
  /** The isolated subnets' CIDRs (Aurora, ElastiCache, OpenSearch). */
  readonly isolatedCidrs: readonly string[];
  /** The private subnets' CIDRs (MSK brokers). */
  readonly kafkaCidrs: readonly string[];
}

export interface PolicyContext extends StoreNetworks {
  /** The whole registry, for callees' ports. */
  readonly services: readonly RegisteredService[];
  /** The ingress controller's namespace: it alone reaches the public HTTP service. */
  readonly ingressNamespace: string;
  /** The observability namespace: its collector receives every service's OTLP (nothing is scraped). */
  readonly observabilityNamespace: string;
  /** The OTel Collector's OTLP/HTTP port (4318), which services push traces, metrics and logs to. */
  readonly otlpPort: number;
  /** The service calls AWS APIs with its IRSA role (STS and the service's API over HTTPS). */
  readonly callsAwsApis: boolean;
}

/** The stores in the isolated subnets, by port; "write-once" is S3, reached over the AWS API rule. */
export const storePorts: Readonly<Record<Exclude<Store, "write-once">, number>> = {
  postgres: postgresPort,
  redis: redisPort,
  opensearch: opensearchPort,
};

const tcp = (port: number) => ({ protocol: "TCP", port });
const namespace = (name: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});
const pods = (service: string) => ({ podSelector: { matchLabels: { [nameLabel]: service } } });
const ipBlocks = (cidrs: readonly string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));

/** Private address space: never reached through the AWS API rule. */
export const privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** The public HTTP service: the ingress controller's upstream, reached through it alone. */
export const servedThroughIngress = (service: Pick<RegisteredService, "public" | "protocol">) =>
  service.public && service.protocol === "http";

/**
 * Ingress rules: declared callers on the service port, and the ingress controller for the
 * public HTTP service. Nothing for observability: services push their metrics over OTLP.
 */
export function ingressRules(service: RegisteredService, ctx: PolicyContext) {
  const rules: object[] = [];
  if (service.callers.length > 0) rules.push({ from: service.callers.map(pods), ports: [tcp(service.port)] });
  if (servedThroughIngress(service))
    rules.push({ from: [namespace(ctx.ingressNamespace)], ports: [tcp(service.port)] });
  return rules;
}

/** Egress rules: DNS, callees, stores, Kafka, the collector, and AWS APIs for IRSA users. */
export function egressRules(service: RegisteredService, ctx: PolicyContext) {
  const dns = {
    to: [{ ...namespace("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
  const rules: object[] = [dns];
  for (const callee of service.calls) {
    const target = ctx.services.find((s) => s.name === callee);
    if (!target) throw new Error(`${service.name} calls unknown service ${callee}`);
    rules.push({ to: [pods(callee)], ports: [tcp(target.port)] });
  }
  for (const store of service.stores)
    if (store !== "write-once")
      rules.push({ to: ipBlocks(ctx.isolatedCidrs), ports: [tcp(storePorts[store])] });
  if (service.topic !== undefined || service.consumedTopics.length > 0)
    rules.push({ to: ipBlocks(ctx.kafkaCidrs), ports: [tcp(scramPort)] });
  rules.push({ to: [namespace(ctx.observabilityNamespace)], ports: [tcp(ctx.otlpPort)] });
  if (ctx.callsAwsApis)
    rules.push({
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...privateRanges] } }],
      ports: [tcp(443)],
    });
  return rules;
}

/** The `spec` of a service's NetworkPolicy. */
export function serviceNetworkPolicySpec(service: RegisteredService, ctx: PolicyContext) {
  return {
    podSelector: { matchLabels: { [nameLabel]: service.name } },
    policyTypes: ["Ingress", "Egress"],
    ingress: ingressRules(service, ctx),
    egress: egressRules(service, ctx),
  };
}

/** The namespace's default: every pod selected, no rule, so nothing in or out that a policy does not open. */
export const defaultDenySpec = { podSelector: {}, policyTypes: ["Ingress", "Egress"] } as const;
