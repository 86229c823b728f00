/** What a change adds to or removes from the monthly cost, resource by resource. */
import { type Estimate, type ResourceCost, sum } from "./estimate.js";

export interface CostChange {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly component: string;
  /** Monthly cost before and after; undefined where the resource does not exist. */
  readonly before: number | undefined;
  readonly after: number | undefined;
  readonly delta: number;
}

export interface CostDiff {
  readonly before: Estimate;
  readonly after: Estimate;
  /** Priced resources whose cost changed (added, removed or resized), largest change first. */
  readonly changes: readonly CostChange[];
  /** Resources that cannot be priced and are new in the change: their cost is missing from the delta. */
  readonly unpricedAdded: readonly ResourceCost[];
  readonly delta: number;
}

function costs(estimate: Estimate): Map<string, ResourceCost> {
  return new Map(estimate.resources.map((r) => [r.urn, r]));
}

export function diffEstimates(before: Estimate, after: Estimate): CostDiff {
  const was = costs(before);
  const now = costs(after);
  const changes: CostChange[] = [];
  for (const urn of new Set([...was.keys(), ...now.keys()])) {
    const old = was.get(urn);
    const current = now.get(urn);
    const shown = (current ?? old)!;
    const delta = sum([current?.monthly ?? 0, -(old?.monthly ?? 0)]);
    const pricedNow = current?.pricing.kind === "priced";
    const pricedBefore = old?.pricing.kind === "priced";
    if (delta === 0 && !(pricedNow && !old) && !(pricedBefore && !current)) continue;
    changes.push({
      urn,
      type: shown.type,
      name: shown.name,
      component: shown.component,
      before: old && pricedBefore ? old.monthly : old ? 0 : undefined,
      after: current && pricedNow ? current.monthly : current ? 0 : undefined,
      delta,
    });
  }
  changes.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.urn.localeCompare(b.urn));
  const unpricedAdded = [...now.values()].filter((r) => r.pricing.kind === "notPriced" && !was.has(r.urn));
  return { before, after, changes, unpricedAdded, delta: sum([after.monthly, -before.monthly]) };
}
