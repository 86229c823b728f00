import * as pulumi from "@pulumi/pulumi";
import type { PlannedResource } from "../scripts/plan/plan-types.js";
import { waitForRegistrations } from "../scripts/plan/recorder.js";
import { loadPlatformSpec } from "../stacks/pulumi-config.js";
import { recorder } from "./pulumi-setup.js";

/** Resolves an Output's value under mocks. */
export function outputValue<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Waits until every registration sent so far has been answered. */
export async function settled(): Promise<void> {
  await waitForRegistrations();
}

/** Every recorded resource, optionally of one type token and below one component's URN. */
export async function recorded(type?: string, under?: pulumi.Resource): Promise<PlannedResource[]> {
  await settled();
  const root = under ? await outputValue(under.urn) : undefined;
  return recorder.resources().filter((r) => (!type || r.type === type) && (!root || isBelow(r, root)));
}

function isBelow(resource: PlannedResource, rootUrn: string): boolean {
  const byUrn = new Map(recorder.resources().map((r) => [r.urn, r]));
  for (let parent = resource.parent; parent; parent = byUrn.get(parent)?.parent ?? null) {
    if (parent === rootUrn) return true;
  }
  return false;
}

/** The physical id the mocks assigned to a recorded resource. */
export function idOf(resource: PlannedResource): string {
  return recorder.idOf(resource.urn) ?? "";
}

/** The test stack's spec, as the program reads it. */
export const spec = () => loadPlatformSpec();
