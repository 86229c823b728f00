/**
 * Vitest global setup of the integration project: installs and starts the real backing
 * servers on 127.0.0.1 with the project's own scripts (local/), hands their connection
 * settings to the tests, and stops at the end only what it started.
 */
import type { TestProject } from "vitest/node";
import { localServers, startServers } from "../local/servers.js";
import { ensureTopics } from "../local/topics.js";
import { loadServiceRegistry } from "../services/registry.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Connection settings of the running servers, e.g. PLATFORM_POSTGRES_URL. */
    servers: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const alreadyRunning = new Set(localServers.filter((s) => s.pid() !== undefined).map((s) => s.name));
  const servers = await startServers(localServers);
  // The registry's topics, as production has them from Pulumi (with one replica here).
  await ensureTopics(servers["PLATFORM_KAFKA_BROKERS"]!, await loadServiceRegistry());
  project.provide("servers", servers);
  return async () => {
    for (const server of [...localServers].reverse()) {
      if (!alreadyRunning.has(server.name)) await server.stop();
    }
  };
}
