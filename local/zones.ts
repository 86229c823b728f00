/**
 * Local mode's simulated availability zones (`npm start -- --zones 3`): every service runs
 * once per zone, zone a on the registry's ports, each further zone 100 ports up, so all
 * replicas share 127.0.0.1 and one set of PostgreSQL, Redis, Kafka and OpenSearch.
 */

/** The zones, in the order they are added. */
export const zoneNames = ["a", "b", "c"] as const;
export type ZoneName = (typeof zoneNames)[number];

/** How far apart two zones' ports are: catalog is 7102 in zone a, 7202 in b, 7302 in c. */
export const zonePortStep = 100;

/** The first `count` zones; `count` is 1 to 3. */
export function zonesOf(count: number): readonly ZoneName[] {
  if (!Number.isInteger(count) || count < 1 || count > zoneNames.length)
    throw new Error(`zones must be a whole number from 1 to ${zoneNames.length} (got ${count})`);
  return zoneNames.slice(0, count);
}

export const isZoneName = (value: string): value is ZoneName =>
  (zoneNames as readonly string[]).includes(value);

/** The port a service listening on `port` in zone a uses in `zone`. */
export function zonePort(port: number, zone: ZoneName): number {
  return port + zonePortStep * zoneNames.indexOf(zone);
}

/** Every zone's replica of a service on `port`, as a `<NAME>_ADDRESS` value (host:port,host:port). */
export function replicaList(port: number, zones: readonly ZoneName[]): string {
  return zones.map((zone) => `127.0.0.1:${zonePort(port, zone)}`).join(",");
}

/**
 * The zone label a replica reports (`ZONE`: resource attributes, metrics, log lines):
 * `local` when there is one zone, as before zones existed, else the zone's name.
 */
export const zoneLabel = (zone: ZoneName, zones: readonly ZoneName[]) => (zones.length > 1 ? zone : "local");
