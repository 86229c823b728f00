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
