import { collector } from "./collector.js";
import { kafka } from "./kafka.js";
import { opensearch } from "./opensearch.js";
import { postgres } from "./postgres.js";
import { prometheus } from "./prometheus.js";
import { redis } from "./redis.js";
import type { LocalServer } from "./server.js";

/**
 * Every local backing server, in install order. The services' telemetry goes to the
 * collector, which the services' environment points at (local/service-env.ts), and
 * Prometheus scrapes it; all start before any service.
 */
export const localServers: readonly LocalServer[] = [
  postgres,
  redis,
  kafka,
  opensearch,
  collector,
  prometheus,
];

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

/**
 * Installs the servers one after the other (apt and Maven each want their cache to
 * themselves), then starts them all at once: the JVMs' start-up is most of the wait.
 * Returns the environment that reaches them; fails naming every server that did not start.
 */
export async function startServers(servers: readonly LocalServer[]): Promise<Record<string, string>> {
  for (const server of servers) await server.install();
  const started = await Promise.allSettled(servers.map((server) => server.start()));
  const failed = started.flatMap((result, i) =>
    result.status === "rejected" ? [`${servers[i]!.name}: ${(result.reason as Error).message}`] : [],
  );
  if (failed.length > 0) throw new Error(failed.join("\n"));
  return Object.assign({}, ...servers.map((server) => server.connection())) as Record<string, string>;
}
