/**
 * The zone experiment's handle on the platform, kept apart so the rest of the suite runs the
 * same with one zone or three. startPlatform runs zones a, b and c when asked for `zones: 3`
 * and then offers `stopZone` and `startZone`; a platform without them (one zone) has nothing
 * to kill, and the zone experiment is skipped.
 */
import type { RunningPlatform } from "../../local/platform.js";
import type { ZoneControl } from "./experiments.js";
import type { ExperimentName } from "./options.js";

/** The zones the suite asks for: three when zone b is to be killed, else one (lighter on two cores). */
export function zonePlatformOptions(experiments: readonly ExperimentName[]): { zones?: number } {
  return experiments.includes("zone-kill") ? { zones: 3 } : {};
}

/** What a platform with zones offers, read without assuming it has them. */
interface ZonedPlatform {
  readonly zones?: readonly string[];
  stopZone?(zone: string, signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  startZone?(zone: string): Promise<void>;
}

export function zoneControl(platform: RunningPlatform): ZoneControl | undefined {
  const zoned = platform as unknown as ZonedPlatform;
  const { zones, stopZone, startZone } = zoned;
  if (!zones || zones.length < 2 || !stopZone || !startZone) return undefined;
  return {
    zones,
    kill: (zone) => stopZone.call(zoned, zone, "SIGKILL"),
    restart: (zone) => startZone.call(zoned, zone),
  };
}
