/** Aurora PostgreSQL (instances; the cluster's storage and I/O) and ElastiCache nodes. */
import { count, input, monthOf, type Pricer, priced, priceOf, Unpriceable, usageLine } from "../model.js";

const auroraClusterType = "aws:rds/cluster:Cluster";

function requirePostgres(engine: unknown): void {
  if (engine !== "aurora-postgresql")
    throw new Unpriceable(`engine ${JSON.stringify(engine)}: the table prices Aurora PostgreSQL only`);
}

function requireStandardStorage(storageType: unknown): void {
  if (storageType !== undefined && storageType !== "aurora")
    throw new Unpriceable(`storage type ${storageType}: the table prices Aurora Standard storage only`);
}

/** The cluster: storage and I/O requests, both usage (stated assumptions). */
export const auroraCluster: Pricer = (cluster, context) => {
  requirePostgres(input(cluster, "engine"));
  requireStandardStorage(input(cluster, "storageType"));
  const { aurora } = context.prices;
  return priced(
    usageLine(context, cluster, "storage", "auroraStorageGiB", "GiB-month", aurora.storageGiBMonth),
    usageLine(context, cluster, "I/O requests", "auroraIoMillions", "million", aurora.ioMillionRequests),
  );
};

/** One instance of the cluster (writer or reader), by its class. */
export const auroraInstance: Pricer = (instance, context) => {
  requirePostgres(input(instance, "engine"));
  const [cluster] = context.plan.dependencies(instance, "clusterIdentifier", auroraClusterType);
  if (cluster) requireStandardStorage(input(cluster, "storageType"));
  const instanceClass = String(input(instance, "instanceClass"));
  const hourly = priceOf(
    context.prices.aurora.instanceHour,
    instanceClass,
    "Aurora PostgreSQL",
    context.region,
  );
  return priced(monthOf(context, `${instanceClass} instance`, 1, hourly));
};

/** A replication group: every node, primary and replicas, by node type and engine. */
export const elasticacheReplicationGroup: Pricer = (group, context) => {
  const engine = String(input(group, "engine") ?? "redis");
  const nodeType = String(input(group, "nodeType"));
  const nodes =
    input(group, "numCacheClusters") !== undefined
      ? count(group, "numCacheClusters")
      : count(group, "numNodeGroups", 1) * (count(group, "replicasPerNodeGroup", 0) + 1);
  const byType = context.prices.elasticache.nodeHour[engine];
  if (!byType) throw new Unpriceable(`no ElastiCache prices for engine ${engine} in the price table`);
  const hourly = priceOf(byType, nodeType, `ElastiCache ${engine}`, context.region);
  return priced(monthOf(context, `${nodes} × ${nodeType} nodes`, nodes, hourly));
};
