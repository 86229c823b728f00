/**
 * The zone experiment's handle on the platform, kept apart so the rest of the suite runs the
 * same with one zone or three: startPlatform runs zones a, b and c when asked for
 * `zones: 3` (local/zones.ts), and its `stopZone` and `startZone` kill and restart one.
 */
import type { PlatformOptions, RunningPlatform } from "../../local/platform.js";
import { isZoneName } from "../../local/zones.js";
import type { ZoneControl } from "./experiments.js";
import type { ExperimentName } from "./options.js";

/** The zones the suite asks for: three when zone b is to be killed, else one (lighter on two cores). */
export function zonePlatformOptions(experiments: readonly ExperimentName[]): Pick<PlatformOptions, "zones"> {
  return experiments.includes("zone-kill") ? { zones: 3 } : {};
}

function zoneOf(zone: string) {
  if (!isZoneName(zone)) throw new Error(`no zone named "${zone}"`);
  return zone;
}

/** Kill and restart by zone, when the platform runs more than one. */
export function zoneControl(platform: RunningPlatform): ZoneControl | undefined {
  if (platform.zones.length < 2) return undefined;
  return {
    zones: platform.zones,
    kill: (zone) => platform.stopZone(zoneOf(zone), "SIGKILL"),
    restart: (zone) => platform.startZone(zoneOf(zone)),
  };
}
