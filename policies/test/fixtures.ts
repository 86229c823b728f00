/**
 * Small, valid pieces of a stack for rule tests, shaped as the offline plan (and the engine)
 * shows them, and a helper to run policies over them through the offline runner.
 */
import type { Policies, Policy } from "@pulumi/policy";
import type { Plan, PlannedResource } from "../../scripts/plan/plan-types.js";
import { type PolicyRun, type RunOptions, runPolicies } from "../../scripts/policy/run.js";

export const urnOf = (type: string, name: string, stack = "prod") =>
  `urn:pulumi:${stack}::platform::${type}::${name}`;

export function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  dependencies: Record<string, readonly PlannedResource[]> = {},
): PlannedResource {
  return {
    urn: urnOf(type, name),
    type,
    name,
    parent: null,
    custom: true,
    inputs,
    dependencies: Object.fromEntries(
      Object.entries(dependencies).map(([k, rs]) => [k, rs.map((r) => r.urn)]),
    ),
  };
}

export const planOf = (resources: readonly PlannedResource[], stack = "prod"): Plan => ({ stack, resources });

/** Runs policies over resources (or a plan) and returns the violations' messages per policy. */
export async function check(
  policies: Policy | Policies,
  resources: readonly PlannedResource[] | Plan,
  options: RunOptions = {},
): Promise<PolicyRun> {
  const plan = "stack" in resources ? resources : planOf(resources);
  return runPolicies(plan, [policies].flat(), options);
}

export const messages = (run: PolicyRun, policy?: string) =>
  run.violations.filter((v) => !policy || v.policy === policy).map((v) => v.message);

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Returns a deep copy of `value` changed by `change`. */
export function changed<T>(value: T, change: (copy: Mutable<T>) => void): T {
  const copy = structuredClone(value) as Mutable<T>;
  change(copy);
  return copy as T;
}

// --- Kubernetes: one service as the microservice component declares it -------------------

const k8s = (apiVersion: string, kind: string) =>
  `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;

export function k8sObject(
  apiVersion: string,
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  namespace = "platform",
) {
  return resource(k8s(apiVersion, kind), `${namespace}-${name}-${kind}`, {
    apiVersion,
    kind,
    metadata: { name, namespace, labels: { "app.kubernetes.io/name": name } },
    spec,
  });
}

export const hardenedContainer = (name: string) => ({
  name,
  image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/${name}@sha256:${"a".repeat(64)}`,
  resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  securityContext: {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  },
  readinessProbe: { grpc: { port: 50051 } },
  livenessProbe: { grpc: { port: 50051 } },
});

export const podTemplate = (name: string) => ({
  metadata: { labels: { "app.kubernetes.io/name": name } },
  spec: {
    securityContext: { runAsNonRoot: true, runAsUser: 10001 },
    containers: [hardenedContainer(name)],
    topologySpreadConstraints: [
      { topologyKey: "topology.kubernetes.io/zone", maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" },
    ],
  },
});

const analysisStep = (name: string) => ({ analysis: { templates: [{ templateName: `${name}-analysis` }] } });

/** A service's Rollout (analysis-gated canary), AnalysisTemplate, KEDA autoscaler, PDB and NetworkPolicy. */
export function microservice(name: string, namespace = "platform"): PlannedResource[] {
  const selector = { matchLabels: { "app.kubernetes.io/name": name } };
  return [
    k8sObject(
      "argoproj.io/v1alpha1",
      "Rollout",
      name,
      {
        selector,
        template: podTemplate(name),
        strategy: {
          canary: {
            steps: [
              { setWeight: 10 },
              { pause: { duration: "2m" } },
              analysisStep(name),
              { setWeight: 50 },
              analysisStep(name),
            ],
          },
        },
      },
      namespace,
    ),
    k8sObject("argoproj.io/v1alpha1", "AnalysisTemplate", `${name}-analysis`, { metrics: [] }, namespace),
    k8sObject(
      "keda.sh/v1alpha1",
      "ScaledObject",
      name,
      {
        scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name },
        minReplicaCount: 2,
        maxReplicaCount: 20,
      },
      namespace,
    ),
    k8sObject("policy/v1", "PodDisruptionBudget", name, { maxUnavailable: 1, selector }, namespace),
    k8sObject(
      "networking.k8s.io/v1",
      "NetworkPolicy",
      name,
      { podSelector: selector, policyTypes: ["Ingress"], ingress: [{}] },
      namespace,
    ),
  ];
}

export const defaultDeny = (namespace = "platform") =>
  k8sObject(
    "networking.k8s.io/v1",
    "NetworkPolicy",
    "default-deny",
    { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    namespace,
  );

/** The resource of `kind` (by its Kubernetes kind, or type token) in `resources`. */
export const find = (resources: readonly PlannedResource[], kind: string) => {
  const found = resources.find((r) => (r.inputs as { kind?: string }).kind === kind || r.type === kind);
  if (!found) throw new Error(`fixture has no ${kind}`);
  return found;
};

// --- Grafana alerting: per service a p99 alert and burn-rate alerts, through PagerDuty -----

const grafana = (kind: string) => `grafana:alerting/${kind[0]!.toLowerCase()}${kind.slice(1)}:${kind}`;

/** A rule in the alerting component's shape: A is the PromQL, B reduces it, C fires above 0. */
const grafanaRule = (name: string, expr: string, hold: string, labels: Record<string, string>) => ({
  name,
  for: hold,
  condition: "C",
  labels: { team: "platform", ...labels },
  datas: [
    { refId: "A", datasourceUid: "mimir", model: JSON.stringify({ refId: "A", expr }) },
    {
      refId: "B",
      datasourceUid: "__expr__",
      model: JSON.stringify({ refId: "B", type: "reduce", expression: "A" }),
    },
    {
      refId: "C",
      datasourceUid: "__expr__",
      model: JSON.stringify({
        refId: "C",
        type: "threshold",
        expression: "B",
        conditions: [{ evaluator: { type: "gt", params: [0] } }],
      }),
    },
  ],
});

export const latencyRule = (service: string, over = 0.2, hold = "5m") =>
  grafanaRule(
    `API latency ${service}`,
    `histogram_quantile(0.99, sum by (le) (rate(platform_request_duration_seconds_bucket{service="${service}"}[5m]))) > ${over}`,
    hold,
    { severity: "critical", service },
  );

/** The share of a service's requests over `range` that miss its availability or latency SLO. */
const missRatio = (service: string, slo: "availability" | "latency", range: string) => {
  const all = `sum(rate(platform_request_duration_seconds_count{service="${service}"}[${range}]))`;
  return slo === "availability"
    ? `sum(rate(platform_request_duration_seconds_count{service="${service}",outcome="error"}[${range}])) / ${all}`
    : `1 - sum(rate(platform_request_duration_seconds_bucket{service="${service}",le="0.2"}[${range}])) / ${all}`;
};

/** A burn-rate alert on one SLO of a service: over each window pair, both windows above 14.4x. */
export const burnRateRule = (
  service: string,
  slo: "availability" | "latency",
  pairs: readonly (readonly [string, string])[],
) =>
  grafanaRule(
    `${slo} budget burn ${service} ${pairs.map(([long]) => long).join("/")}`,
    pairs
      .map(
        ([long, short]) =>
          `(${missRatio(service, slo, long)} > 0.0144 and ${missRatio(service, slo, short)} > 0.0144)`,
      )
      .join(" or "),
    "0s",
    { severity: "critical", service },
  );

/** A service's burn-rate alerts as the alerting component makes them: a page and a ticket per SLO. */
export const burnRateRules = (service: string) =>
  (["availability", "latency"] as const).flatMap((slo) => [
    burnRateRule(service, slo, [
      ["1h", "5m"],
      ["6h", "30m"],
    ]),
    // The ticket: low urgency, through its own contact point here.
    {
      ...burnRateRule(service, slo, [["3d", "6h"]]),
      labels: { severity: "warning", service, team: "platform" },
      notificationSettings: { contactPoint: "pagerduty" },
    },
  ]);

export function alerting(services: readonly string[]): PlannedResource[] {
  return [
    resource(grafana("RuleGroup"), "platform-rules", {
      name: "platform",
      folderUid: "platform",
      intervalSeconds: 60,
      rules: services.flatMap((s) => [latencyRule(s), ...burnRateRules(s)]),
    }),
    resource(grafana("ContactPoint"), "platform-pagerduty", {
      name: "pagerduty",
      pagerduties: [{ integrationKey: "[secret]" }],
    }),
    resource(grafana("ContactPoint"), "platform-email", {
      name: "email",
      emails: [{ addresses: ["platform@example.com"] }],
    }),
    resource(grafana("NotificationPolicy"), "platform-routing", {
      contactPoint: "email",
      groupBies: ["alertname"],
      policies: [
        { contactPoint: "pagerduty", matchers: [{ label: "severity", match: "=", value: "critical" }] },
      ],
    }),
  ];
}
