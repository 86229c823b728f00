import { describe, expect, it } from "vitest";
import { defaults } from "../../scripts/cost/assumptions.js";
import { estimate } from "../../scripts/cost/estimate.js";
import { subnet } from "../../scripts/cost/fixtures.js";
import { loadPriceTable } from "../../scripts/cost/price-table.js";
import { policyResources } from "../../scripts/policy/resources.js";
import { check, messages, planOf, resource } from "../test/fixtures.js";
import { monthlyCost, planOfStack } from "./cost.js";

const component = { ...resource("platform:data:Redis", "redis", {}), custom: false };
/** Three cache.r7g.large nodes in eu-west-1: 3 × 730 h × $0.242 = $529.98 a month. */
const stack = planOf([
  subnet,
  component,
  {
    ...resource("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {
      engine: "redis",
      nodeType: "cache.r7g.large",
      numCacheClusters: 3,
    }),
    parent: component.urn,
  },
]);
const config = (properties: Record<string, number>) => ({ config: { "monthly-cost": properties } });

describe("monthly-cost", () => {
  it("sees the stack as the plan it came from: components, parents and property dependencies", () => {
    const plan = planOf([
      subnet,
      resource("aws:ec2/natGateway:NatGateway", "nat", {}, { subnetId: [subnet] }),
    ]);
    expect(planOfStack(policyResources(plan.resources))).toEqual(plan);
    expect(planOfStack(policyResources(stack.resources)).resources[1]!.custom).toBe(false);
  });

  it("passes a stack within its budget when no baseline is given", async () => {
    const run = await check(monthlyCost, stack, config({ monthlyBudgetUsd: 600 }));
    expect(run.violations).toEqual([]);
  });

  it("flags a stack above its budget, advisory", async () => {
    const run = await check(monthlyCost, stack, config({ monthlyBudgetUsd: 500 }));
    expect(messages(run)).toEqual([
      "estimated at $529.98 a month, above monthlyBudgetUsd $500.00; npm run cost -- --stack prod shows each line",
    ]);
    expect(run.violations[0]!.level).toBe("advisory");
  });

  it("flags a change that adds more than maxIncreaseUsd over the baseline, and not one that adds less", async () => {
    const over = await check(monthlyCost, stack, config({ baselineMonthlyUsd: 0, maxIncreaseUsd: 500 }));
    expect(messages(over)).toEqual([
      expect.stringMatching(
        /^this change adds \+\$529\.98 a month \(\$0\.00 → \$529\.98\), more than maxIncreaseUsd \$500\.00/,
      ),
    ]);
    const under = await check(monthlyCost, stack, config({ baselineMonthlyUsd: 100, maxIncreaseUsd: 500 }));
    expect(under.violations).toEqual([]);
  });

  it("agrees with npm run cost on the same stack", () => {
    expect(estimate(stack, loadPriceTable(), defaults()).monthly).toBe(529.98);
  });

  it("says why when it cannot estimate (a region the table lacks)", async () => {
    const elsewhere = planOf([
      { ...subnet, inputs: { availabilityZone: "ap-south-1a" } },
      ...stack.resources.slice(1),
    ]);
    const run = await check(monthlyCost, elsewhere);
    expect(messages(run)).toEqual([
      expect.stringMatching(/^cannot estimate the monthly cost: .*no prices for region ap-south-1/),
    ]);
  });
});
