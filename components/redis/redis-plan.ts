/**
 * The pure decisions of the Redis component: the parameter group family and parameters,
 * what a service is told, and its URL. Tested without any cloud.
 */

/** The port Redis listens on. */
export const redisPort = 6379;

/**
 * The parameter group family of a Redis OSS engine version: "7.1" → "redis7", "6.2" →
 * "redis6.x". Undefined for versions the platform does not run (before 6).
 */
export function redisParameterGroupFamily(engineVersion: string): string | undefined {
  const major = Number(engineVersion.split(".")[0]);
  if (major >= 7) return `redis${major}`;
  if (major === 6) return "redis6.x";
  return undefined;
}

export interface CacheParameter {
  readonly name: string;
  readonly value: string;
}

/**
 * The parameters: when memory is full, evict only keys that carry a TTL (cache entries);
 * keys without one are never evicted, so writes fail with OOM instead of silently losing
 * state a service meant to keep. Every command slower than 10 ms goes to the slow log.
 */
export const redisParameters: readonly CacheParameter[] = [
  { name: "maxmemory-policy", value: "volatile-lru" },
  { name: "slowlog-log-slower-than", value: "10000" },
  { name: "slowlog-max-len", value: "256" },
];

/** What one service is told about Redis. */
export interface RedisNames {
  /** The Kubernetes Secret with the connection, e.g. `catalog-redis`. */
  readonly secret: string;
  /** The prefix every key the service writes must start with, e.g. `catalog:`. */
  readonly keyPrefix: string;
}

export function redisNames(service: string): RedisNames {
  return { secret: `${service}-redis`, keyPrefix: `${service}:` };
}

/** A `rediss://` (TLS) URL with the auth token as the password of the default user. */
export function redisUrl(host: string, port: number, authToken: string): string {
  return `rediss://:${encodeURIComponent(authToken)}@${host}:${port}`;
}
