import { postgres } from "./postgres.js";
import { redis } from "./redis.js";
import type { LocalServer } from "./server.js";

/** Every local backing server, in start order. */
export const localServers: readonly LocalServer[] = [postgres, redis];

/** Picks servers by name; no names means all of them. */
export function selectServers(names: readonly string[]): LocalServer[] {
  if (names.length === 0) return [...localServers];
  return names.map((name) => {
    const server = localServers.find((s) => s.name === name);
    if (!server)
      throw new Error(
        `unknown server "${name}"; expected one of ${localServers.map((s) => s.name).join(", ")}`,
      );
    return server;
  });
}

/** Installs and starts the servers, and returns the environment that reaches them. */
export async function startServers(servers: readonly LocalServer[]): Promise<Record<string, string>> {
  let env: Record<string, string> = {};
  for (const server of servers) {
    await server.install();
    await server.start();
    env = { ...env, ...server.connection() };
  }
  return env;
}
