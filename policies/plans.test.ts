/**
 * The pack over the real plans: prod and staging pass, and breaking any one invariant of
 * prod is caught by the policy that guards it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../scripts/plan/plan-types.js";
import { mandatoryViolations, runPolicies } from "../scripts/policy/run.js";
import { type PlatformFacts, platformPolicies, registryFacts } from "./pack.js";
import {
  changeFirst,
  completed,
  declaresAlerting,
  ofKind,
  ofType,
  planOfStack,
  podSpecOf,
  without,
} from "./test/plans.js";

let facts: PlatformFacts;
let publicServices: readonly string[];
let plans: Record<"prod" | "staging", Plan>;
let prod: Plan;
const run = (plan: Plan) => runPolicies(plan, platformPolicies(facts));

beforeAll(async () => {
  facts = await registryFacts();
  ({ publicServices } = facts);
  plans = { prod: await planOfStack("prod"), staging: await planOfStack("staging") };
  prod = completed(plans.prod, publicServices);
}, 120_000);

describe("the prod and staging plans", () => {
  it.each(["prod", "staging"] as const)(
    "%s has no mandatory violation but the latency alerts not declared yet",
    async (stack) => {
      const plan = plans[stack];
      const violations = mandatoryViolations(await run(plan));
      const pending = declaresAlerting(plan)
        ? []
        : publicServices.map((s) => expect.stringMatching(new RegExp(`^${s}: no alert`)));
      expect(violations.filter((v) => v.policy !== "public-service-latency-alert")).toEqual([]);
      expect(violations.map((v) => v.message)).toEqual(pending);
    },
  );

  it("pass every policy, advisory ones included, once completed with what is not declared yet", async () => {
    expect((await run(prod)).violations).toEqual([]);
  });
});

const firstRollout = (plan: Plan) => plan.resources.find(ofKind("Rollout"))!;
const rolloutContainer = (r: PlannedResource) => podSpecOf(r).containers[0]!;

/** One broken invariant per policy: the change, and the policy expected to catch it. */
const mutations: [string, string, (plan: Plan) => Plan | { plan: Plan; urn: string }][] = [
  [
    "zonal-resources-span-three-zones",
    "an EKS cluster in two zones",
    (p) =>
      changeFirst(
        p,
        ofType("aws:eks/cluster:Cluster"),
        (r) => (r.dependencies = { vpcConfig: r.dependencies["vpcConfig"]!.slice(1) }),
      ),
  ],
  [
    "one-nat-gateway-per-zone",
    "two NAT gateways in one zone",
    (p) =>
      changeFirst(
        p,
        (r) => r.type === "aws:ec2/natGateway:NatGateway" && r.name.endsWith("b"),
        (r) => {
          r.dependencies = { subnetId: [r.dependencies["subnetId"]![0]!.replace(/b$/, "a")] };
        },
      ),
  ],
  [
    "one-node-group-per-zone",
    "a zone without a node group",
    (p) => without(p, (r) => r.type === "aws:eks/nodeGroup:NodeGroup" && r.name.endsWith("c")),
  ],
  [
    "data-stores-not-public",
    "a public database",
    (p) =>
      changeFirst(
        p,
        ofType("aws:rds/clusterInstance:ClusterInstance"),
        (r) => (r.inputs["publiclyAccessible"] = true),
      ),
  ],
  [
    "data-stores-encrypted",
    "Redis in plaintext",
    (p) =>
      changeFirst(
        p,
        ofType("aws:elasticache/replicationGroup:ReplicationGroup"),
        (r) => (r.inputs["transitEncryptionEnabled"] = false),
      ),
  ],
  [
    "data-store-backups",
    "one day of backups",
    (p) => changeFirst(p, ofType("aws:rds/cluster:Cluster"), (r) => (r.inputs["backupRetentionPeriod"] = 1)),
  ],
  [
    "prod-deletion-protection",
    "a deletable prod database",
    (p) => changeFirst(p, ofType("aws:rds/cluster:Cluster"), (r) => (r.inputs["deletionProtection"] = false)),
  ],
  [
    "kafka-brokers-per-zone",
    "four brokers",
    (p) => changeFirst(p, ofType("aws:msk/cluster:Cluster"), (r) => (r.inputs["numberOfBrokerNodes"] = 4)),
  ],
  [
    "kafka-topic-durability",
    "a topic with one replica",
    (p) => changeFirst(p, ofType("kafka:index/topic:Topic"), (r) => (r.inputs["replicationFactor"] = 1)),
  ],
  [
    "opensearch-zone-awareness",
    "OpenSearch aware of two zones",
    (p) =>
      changeFirst(p, ofType("aws:opensearch/domain:Domain"), (r) => {
        (r.inputs["clusterConfig"] as Record<string, unknown>)["zoneAwarenessConfig"] = {
          availabilityZoneCount: 2,
        };
      }),
  ],
  [
    "eks-secrets-encryption",
    "Secrets unencrypted",
    (p) => changeFirst(p, ofType("aws:eks/cluster:Cluster"), (r) => delete r.inputs["encryptionConfig"]),
  ],
  [
    "eks-control-plane-logging",
    "no audit log",
    (p) =>
      changeFirst(
        p,
        ofType("aws:eks/cluster:Cluster"),
        (r) => (r.inputs["enabledClusterLogTypes"] = ["api"]),
      ),
  ],
  [
    "eks-restricted-public-endpoint",
    "the API open to the internet",
    (p) =>
      changeFirst(
        p,
        ofType("aws:eks/cluster:Cluster"),
        (r) => ((r.inputs["vpcConfig"] as Record<string, unknown>)["publicAccessCidrs"] = ["0.0.0.0/0"]),
      ),
  ],
  [
    "workload-resources",
    "a container without limits",
    (p) =>
      changeFirst(
        p,
        ofKind("Rollout"),
        (r) => ((rolloutContainer(r)["resources"] as Record<string, unknown>)["limits"] = undefined),
      ),
  ],
  [
    "workload-security-context",
    "a writable root filesystem",
    (p) =>
      changeFirst(
        p,
        ofKind("Rollout"),
        (r) =>
          ((rolloutContainer(r)["securityContext"] as Record<string, unknown>)["readOnlyRootFilesystem"] =
            false),
      ),
  ],
  [
    "workload-host-isolation",
    "host networking",
    (p) => changeFirst(p, ofKind("Rollout"), (r) => (podSpecOf(r)["hostNetwork"] = true)),
  ],
  [
    "workload-probes",
    "no readiness probe",
    (p) => changeFirst(p, ofKind("Rollout"), (r) => delete rolloutContainer(r)["readinessProbe"]),
  ],
  [
    "workload-zone-spread",
    "pods not spread over zones",
    (p) => changeFirst(p, ofKind("Rollout"), (r) => delete podSpecOf(r)["topologySpreadConstraints"]),
  ],
  [
    "workload-image-pinned",
    "a latest image",
    (p) =>
      changeFirst(p, ofKind("Rollout"), (r) => (rolloutContainer(r)["image"] = "ghcr.io/acme/app:latest")),
  ],
  [
    "workload-disruption-budget",
    "a missing PDB",
    (p) => {
      const name = (firstRollout(p).inputs["metadata"] as { name: string }).name;
      return without(
        p,
        (r) => ofKind("PodDisruptionBudget")(r) && (r.inputs["metadata"] as { name: string }).name === name,
      );
    },
  ],
  [
    "workload-autoscaler",
    "an autoscaler up to 50 replicas",
    (p) =>
      changeFirst(
        p,
        ofKind("ScaledObject"),
        (r) => ((r.inputs["spec"] as Record<string, unknown>)["maxReplicaCount"] = 50),
      ),
  ],
  [
    "workload-progressive-delivery",
    "a canary without analysis",
    (p) =>
      changeFirst(p, ofKind("Rollout"), (r) => {
        const strategy = (
          r.inputs["spec"] as { strategy: Record<string, { steps?: Record<string, unknown>[] }> }
        ).strategy;
        strategy["canary"] = { steps: [{ setWeight: 50 }, { pause: {} }] };
        delete strategy["blueGreen"];
      }),
  ],
  [
    "workload-default-deny",
    "no default-deny NetworkPolicy",
    (p) =>
      without(
        p,
        (r) =>
          ofKind("NetworkPolicy")(r) &&
          Object.keys((r.inputs["spec"] as { podSelector?: object }).podSelector ?? {}).length === 0,
      ),
  ],
  [
    "edge-proxied-records",
    "an unproxied record",
    (p) =>
      changeFirst(p, ofType("cloudflare:index/dnsRecord:DnsRecord"), (r) => (r.inputs["proxied"] = false)),
  ],
  [
    "edge-tls-minimum",
    "TLS 1.0",
    (p) =>
      changeFirst(
        p,
        (r) => r.inputs["settingId"] === "min_tls_version",
        (r) => (r.inputs["value"] = "1.0"),
      ),
  ],
  [
    "edge-ssl-strict",
    "flexible SSL",
    (p) =>
      changeFirst(
        p,
        (r) => r.inputs["settingId"] === "ssl",
        (r) => (r.inputs["value"] = "flexible"),
      ),
  ],
  [
    "edge-origin-cloudflare-only",
    "an origin open to everyone",
    (p) =>
      changeFirst(
        p,
        (r) =>
          r.type === "aws:ec2/securityGroup:SecurityGroup" &&
          Array.isArray(r.inputs["ingress"]) &&
          (r.inputs["ingress"] as unknown[]).length > 0,
        (r) =>
          (r.inputs["ingress"] as Record<string, unknown>[]).push({
            cidrBlocks: ["0.0.0.0/0"],
            fromPort: 443,
            toPort: 443,
            protocol: "tcp",
          }),
      ),
  ],
  [
    "public-service-latency-alert",
    "pages that no longer reach PagerDuty",
    (p) => without(p, (r) => r.type.includes("contactPoint") && r.inputs["pagerduties"] !== undefined),
  ],
  [
    "no-plaintext-secrets",
    "a password typed into the program",
    (p) =>
      changeFirst(p, ofType("aws:rds/cluster:Cluster"), (r) => {
        r.inputs["masterPassword"] = "hunter2";
        delete (r.dependencies as Record<string, unknown>)["masterPassword"];
      }),
  ],
  [
    "object-lock-compliance",
    "audit's heads locked in governance mode, which a privileged principal can bypass",
    (p) =>
      changeFirst(
        p,
        ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
        (r) => (r.inputs["rule"] = { defaultRetention: { mode: "GOVERNANCE", days: 2555 } }),
      ),
  ],
  [
    "aws-cost-tags",
    "an untagged VPC",
    (p) => changeFirst(p, ofType("aws:ec2/vpc:Vpc"), (r) => delete r.inputs["tags"]),
  ],
  [
    "monthly-cost",
    "a node group of 40 nodes, past the monthly budget",
    (p) =>
      changeFirst(p, ofType("aws:eks/nodeGroup:NodeGroup"), (r) => {
        (r.inputs["scalingConfig"] as Record<string, number>)["desiredSize"] = 40;
      }),
  ],
];

describe("breaking one invariant of prod", () => {
  it("covers every policy of the pack", () => {
    expect(mutations.map(([policy]) => policy).sort()).toEqual(
      platformPolicies({ publicServices: [], burnRateWindows: [] })
        .map((p) => p.name)
        .sort(),
    );
  });

  it.each(mutations)("%s catches %s", async (policy, _what, mutate) => {
    const mutated = mutate(prod);
    const broken = "plan" in mutated ? mutated.plan : mutated;
    const caught = (await run(broken)).violations.filter((v) => v.policy === policy);
    expect(caught.length).toBeGreaterThan(0);
    if ("urn" in mutated && caught.every((v) => v.urn))
      expect(caught.map((v) => v.urn)).toContain(mutated.urn);
  });
});
