import { Admin } from "@platformatic/kafka";
import { planTopics } from "../components/kafka/topology.js";
import type { RegisteredService } from "../services/registry.js";

/**
 * Creates the topics production gets from Pulumi (components/kafka/topology.ts derives both
 * from the registry), sized for one local broker: replication factor 1. Existing topics
 * are left alone, so this is safe to run at every start.
 */
export async function ensureTopics(
  brokers: string,
  services: readonly RegisteredService[],
  partitions = 3,
): Promise<string[]> {
  const wanted = planTopics(services, { partitions, retentionHours: 24 });
  const admin = new Admin({ clientId: "platform-local", bootstrapBrokers: brokers.split(",") });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.name));
    for (const topic of missing) {
      await admin.createTopics({
        topics: [topic.name],
        partitions: topic.partitions,
        replicas: 1,
        configs: Object.entries({ ...topic.config, "min.insync.replicas": "1" }).map(([name, value]) => ({
          name,
          value,
        })),
      });
    }
    return missing.map((t) => t.name);
  } finally {
    await admin.close();
  }
}
