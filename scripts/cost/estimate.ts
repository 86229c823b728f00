/**
 * The monthly cost of a plan: every cloud resource priced by its type's model, declared free
 * by type, or listed as not priced; grouped by the component that declares it.
 */
import { PlanIndex } from "../plan/plan-index.js";
import type { Plan, PlannedResource } from "../plan/plan-types.js";
import { type AssumptionName, type Assumptions, assumed, defaultAssumptions } from "./assumptions.js";
import type { Pricing, PricingContext } from "./model.js";
import { type PriceTable, pricesFor } from "./price-table.js";
import { pricers, unmodelled } from "./pricers/index.js";

export interface ResourceCost {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The nearest component above it, as "name (type)", or "(stack)". */
  readonly component: string;
  readonly pricing: Pricing;
  readonly monthly: number;
}

export interface ComponentCost {
  readonly component: string;
  readonly monthly: number;
  readonly resources: readonly ResourceCost[];
}

/** Resources of one type that are free, or not priced, with the reason. */
export interface TypeCount {
  readonly type: string;
  readonly count: number;
  readonly reason: string;
}

export interface Estimate {
  readonly stack: string;
  readonly region: string;
  readonly prices: { readonly file: string; readonly taken: string; readonly currency: string };
  readonly monthly: number;
  /** Every cloud resource, priced or not, in plan order. */
  readonly resources: readonly ResourceCost[];
  /** Priced components, most expensive first. */
  readonly components: readonly ComponentCost[];
  readonly free: readonly TypeCount[];
  readonly notPriced: readonly TypeCount[];
  /** The usage figures the estimate used, with what each counts. */
  readonly assumptions: readonly { name: AssumptionName; value: number; what: string }[];
  readonly assumptionOverrides: Assumptions["byResource"];
}

const stackType = "pulumi:pulumi:Stack";
const regionPattern = /^([a-z]{2}(?:-gov)?-[a-z]+-\d+)[a-z]$/;

/** The region of a plan, from its subnets' zones (`eu-west-1a` → `eu-west-1`). */
export function regionOf(plan: Plan): string {
  const regions = new Set(
    plan.resources
      .filter((r) => r.type === "aws:ec2/subnet:Subnet")
      .map((r) => regionPattern.exec(String(r.inputs["availabilityZone"]))?.[1])
      .filter((r): r is string => !!r),
  );
  if (regions.size !== 1)
    throw new Error(
      `cannot tell the region of stack "${plan.stack}" from its subnets' zones (found ${regions.size === 0 ? "none" : [...regions].join(", ")}); pass --region`,
    );
  return [...regions][0]!;
}

function componentOf(resource: PlannedResource, plan: PlanIndex): string {
  for (
    let parent = resource.parent && plan.get(resource.parent);
    parent;
    parent = parent.parent && plan.get(parent.parent)
  ) {
    if (!parent.custom && parent.type !== stackType) return `${parent.name} (${parent.type})`;
  }
  return "(stack)";
}

function price(resource: PlannedResource, context: PricingContext): Pricing {
  const pricer = pricers[resource.type];
  if (!pricer) return unmodelled(resource.type);
  try {
    return pricer(resource, context);
  } catch (err) {
    return { kind: "notPriced", reason: (err as Error).message };
  }
}

function countByType(costs: readonly ResourceCost[], kind: Pricing["kind"]): TypeCount[] {
  const counts = new Map<string, TypeCount>();
  for (const c of costs.filter((c) => c.pricing.kind === kind)) {
    const reason = (c.pricing as { reason: string }).reason;
    const key = `${c.type}\0${reason}`;
    counts.set(key, { type: c.type, reason, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  return [...counts.values()].sort(
    (a, b) => a.type.localeCompare(b.type) || a.reason.localeCompare(b.reason),
  );
}

/** A sum of amounts in cents, kept in cents (floating point would leave 46.449999...). */
export const sum = (values: readonly number[]) => Math.round(values.reduce((a, b) => a + b, 0) * 100) / 100;

export function estimate(
  plan: Plan,
  table: PriceTable,
  assumptions: Assumptions,
  region = regionOf(plan),
): Estimate {
  const index = new PlanIndex(plan);
  const used = new Set<AssumptionName>();
  const context: PricingContext = {
    region,
    prices: pricesFor(table, region),
    hoursPerMonth: table.hoursPerMonth,
    plan: index,
    usage: (name, resource) => {
      used.add(name);
      return assumed(assumptions, name, resource.name);
    },
  };
  const costs: ResourceCost[] = plan.resources
    .filter((r) => r.custom && r.type !== stackType)
    .map((r) => {
      const pricing = price(r, context);
      const monthly = pricing.kind === "priced" ? sum(pricing.lines.map((l) => l.monthly)) : 0;
      return { urn: r.urn, type: r.type, name: r.name, component: componentOf(r, index), pricing, monthly };
    });
  const byComponent = new Map<string, ResourceCost[]>();
  for (const c of costs.filter((c) => c.pricing.kind === "priced"))
    byComponent.set(c.component, [...(byComponent.get(c.component) ?? []), c]);
  const components = [...byComponent]
    .map(([component, resources]) => ({
      component,
      resources,
      monthly: sum(resources.map((r) => r.monthly)),
    }))
    .sort((a, b) => b.monthly - a.monthly || a.component.localeCompare(b.component));
  return {
    stack: plan.stack,
    region,
    prices: { file: table.file, taken: table.taken, currency: table.currency },
    monthly: sum(components.map((c) => c.monthly)),
    resources: costs,
    components,
    free: countByType(costs, "free"),
    notPriced: countByType(costs, "notPriced"),
    assumptions: [...used]
      .sort()
      .map((name) => ({ name, value: assumptions.values[name], what: defaultAssumptions[name].what })),
    assumptionOverrides: assumptions.byResource,
  };
}
