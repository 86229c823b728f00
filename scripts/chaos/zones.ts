/**
 * The zone experiment's handle on the platform, kept apart so the rest of the suite runs the
 * same with one zone or three. While startPlatform runs one zone, there is nothing to kill.
 */
import type { RunningPlatform } from "../../local/platform.js";
import type { ZoneControl } from "./experiments.js";

/** What startPlatform is asked for beyond the suite's own options (zones, when it has them). */
export const zonePlatformOptions = {};

export function zoneControl(_platform: RunningPlatform): ZoneControl | undefined {
  return undefined;
}
