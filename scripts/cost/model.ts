/**
 * What a price model says about one resource, and the small vocabulary the pricers share.
 * A pricer reads the resource's inputs (and the resources they came from, through the plan's
 * property dependencies) and returns lines of quantity × unit price per month.
 */
import type { PlanIndex } from "../plan/plan-index.js";
import type { PlannedResource } from "../plan/plan-types.js";
import type { AssumptionName } from "./assumptions.js";
import type { RegionPrices } from "./price-table.js";

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: number;
  readonly monthly: number;
  /** Set when the quantity is a stated usage assumption rather than read from the plan. */
  readonly assumption?: AssumptionName;
}

export type Pricing =
  | { readonly kind: "priced"; readonly lines: readonly CostLine[] }
  | { readonly kind: "free"; readonly reason: string }
  | { readonly kind: "notPriced"; readonly reason: string };

export interface PricingContext {
  readonly region: string;
  readonly prices: RegionPrices;
  readonly hoursPerMonth: number;
  readonly plan: PlanIndex;
  /** A usage figure for this resource: its override by name, else the stated default. */
  usage(name: AssumptionName, resource: PlannedResource): number;
}

export type Pricer = (resource: PlannedResource, context: PricingContext) => Pricing;

/** Thrown by a pricer that meets something the table or the model does not cover. */
export class Unpriceable extends Error {}

export const priced = (...lines: CostLine[]): Pricing => ({ kind: "priced", lines });
export const free = (reason: string): Pricing => ({ kind: "free", reason });
export const notPriced = (reason: string): Pricing => ({ kind: "notPriced", reason });

export function line(
  item: string,
  quantity: number,
  unit: string,
  unitPrice: number,
  assumption?: AssumptionName,
): CostLine {
  // Rounded to the cent per line, as a bill is, so that lines, components and totals add up.
  const monthly = Math.round(quantity * unitPrice * 100) / 100;
  return { item, quantity, unit, unitPrice, monthly, ...(assumption ? { assumption } : {}) };
}

/** A line priced by a usage assumption of this resource. */
export function usageLine(
  context: PricingContext,
  resource: PlannedResource,
  item: string,
  assumption: AssumptionName,
  unit: string,
  unitPrice: number,
): CostLine {
  return line(item, context.usage(assumption, resource), unit, unitPrice, assumption);
}

/** `count` of something billed by the hour, for a month. */
export const monthOf = (context: PricingContext, item: string, count: number, hourly: number): CostLine =>
  line(item, count * context.hoursPerMonth, "h", hourly);

/** A named price from one of the table's lists; a missing one makes the resource unpriceable. */
export function priceOf(list: Readonly<Record<string, number>>, key: string, what: string, region: string) {
  const found = list[key];
  if (found === undefined)
    throw new Unpriceable(`no ${what} price for ${key} in ${region} in the price table`);
  return found;
}

/** An input read by path (`scalingConfig.desiredSize`); undefined when absent. */
export function input(resource: PlannedResource, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], resource.inputs);
}

/** A numeric input, or its documented default when absent. */
export function count(resource: PlannedResource, path: string, fallback?: number): number {
  const value = input(resource, path) ?? fallback;
  if (typeof value !== "number" || !(value >= 0))
    throw new Unpriceable(`${path} is ${JSON.stringify(value)}, not a number`);
  return value;
}
