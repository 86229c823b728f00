/**
 * The pack as the Pulumi CLI loads it: started by @pulumi/pulumi's run-policy-pack in this
 * folder (through load.cjs and tsx), driven over the Analyzer gRPC protocol. It must announce
 * every policy with its level and config defaults, and find exactly what the offline runner
 * finds on the same plan.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../scripts/plan/plan-types.js";
import { reconcileConfig } from "../scripts/policy/config.js";
import { runPolicies } from "../scripts/policy/run.js";
import { platformPolicies, registryFacts } from "./pack.js";
import { PackUnderTest } from "./test/analyzer.js";
import { changeFirst, completed, ofKind, ofType, planOfStack, podSpecOf } from "./test/plans.js";

let pack: PackUnderTest;
let policies: ReturnType<typeof platformPolicies>;
let broken: Plan;

beforeAll(async () => {
  const facts = await registryFacts();
  policies = platformPolicies(facts);
  const prod = completed(await planOfStack("prod"), facts.publicServices);
  // A few invariants broken at once, so that both sides have something to find.
  broken = changeFirst(
    prod,
    ofType("aws:rds/clusterInstance:ClusterInstance"),
    (r) => (r.inputs["publiclyAccessible"] = true),
  ).plan;
  broken = changeFirst(
    broken,
    ofKind("Rollout"),
    (r) => (podSpecOf(r).containers[0]!["image"] = "nginx:latest"),
  ).plan;
  broken = changeFirst(
    broken,
    ofType("cloudflare:index/dnsRecord:DnsRecord"),
    (r) => (r.inputs["proxied"] = false),
  ).plan;
  broken = changeFirst(broken, ofType("aws:ec2/vpc:Vpc"), (r) => delete r.inputs["tags"]).plan;
  pack = await PackUnderTest.start();
}, 120_000);

afterAll(() => pack?.stop());

describe("the policy pack under run-policy-pack", () => {
  it("announces every policy with its enforcement level and config defaults", async () => {
    const info = await pack.info();
    expect(info.map((p) => [p.name, p.level]).sort()).toEqual(
      policies.map((p) => [p.name, p.enforcementLevel]).sort(),
    );
    const autoscaler = info.find((p) => p.name === "workload-autoscaler")!;
    expect([autoscaler.config["minReplicas"]?.default, autoscaler.config["maxReplicas"]?.default]).toEqual([
      2, 20,
    ]);
  });

  it("reports exactly what the offline runner reports on the same plan", async () => {
    await pack.configure(reconcileConfig(policies, "advisory"));
    const viaCli = await pack.analyze(broken.resources);
    const offline = (await runPolicies(broken, policies)).violations;
    const key = (v: { policy: string; level: string; message: string; urn?: string }) =>
      `${v.policy} ${v.level} ${v.urn ?? "-"} ${v.message}`;
    expect(viaCli.map(key).sort()).toEqual(offline.map(key).sort());
    expect(new Set(offline.map((v) => v.policy))).toEqual(
      new Set(["data-stores-not-public", "workload-image-pinned", "edge-proxied-records", "aws-cost-tags"]),
    );
  });
});
