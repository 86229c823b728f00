import * as pulumi from "@pulumi/pulumi";

/** Throws the engine's own error type, so `pulumi up` prints the bad property by name. */
export function invalid(propertyPath: string, reason: string): never {
  throw new pulumi.InputPropertyError({ propertyPath, reason });
}

/** The platform runs in exactly three availability zones; every zonal component checks it. */
export function requireThreeZones(zones: readonly string[], propertyPath = "zones"): void {
  if (zones.length !== 3) invalid(propertyPath, `expected exactly 3 availability zones, got ${zones.length}`);
  if (new Set(zones).size !== 3)
    invalid(propertyPath, `expected 3 distinct availability zones, got ${zones.join(", ")}`);
}

/** Requires one entry per zone, in zone order (subnets, node groups, instances). */
export function requireOnePerZone<T>(
  items: readonly T[],
  zones: readonly string[],
  propertyPath: string,
): void {
  if (items.length !== zones.length) {
    invalid(propertyPath, `expected one per availability zone (${zones.length}), got ${items.length}`);
  }
}

export interface WholeNumberRange {
  /** The smallest value accepted. */
  readonly min: number;
  /** The largest value accepted. Default: no bound. */
  readonly max?: number;
  /** What is counted, for the message ("days", "GiB"). Default: none ("an integer"). */
  readonly unit?: string;
}

/** Requires a whole number from `min` to `max` (both included): counts, sizes, days, ports. */
export function requireWholeNumber(value: number, propertyPath: string, range: WholeNumberRange): void {
  const { min, max, unit } = range;
  if (Number.isInteger(value) && value >= min && (max === undefined || value <= max)) return;
  const what = unit === undefined ? "an integer" : `a whole number of ${unit}`;
  const bounds = max === undefined ? `from ${min} upwards` : `from ${min} to ${max}`;
  invalid(propertyPath, `expected ${what} ${bounds}, got ${value}`);
}

/** A Kubernetes namespace name (an RFC 1123 label): lowercase alphanumerics and '-', at most 63. */
export const namespacePattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function requireNamespaceName(namespace: string, propertyPath = "namespace"): void {
  if (!namespacePattern.test(namespace))
    invalid(propertyPath, `"${namespace}" is not a Kubernetes namespace name`);
}
