/**
 * Data survives a lost zone, a bad deploy and a stray `pulumi destroy`: backups, deletion
 * protection on prod, Kafka brokers and replicas across the zones, OpenSearch zone awareness.
 */
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { type ConfigProperty, isProd, prodStacksConfig, resourceType } from "../lib/policy-kit.js";

const auroraCluster = resourceType<{
  backupRetentionPeriod?: number;
  skipFinalSnapshot?: boolean;
  deletionProtection?: boolean;
}>("aws:rds/cluster:Cluster");
const rdsInstance = resourceType<{ backupRetentionPeriod?: number; deletionProtection?: boolean }>(
  "aws:rds/instance:Instance",
);
const redis = resourceType<{ snapshotRetentionLimit?: number }>(
  "aws:elasticache/replicationGroup:ReplicationGroup",
);
const mskCluster = resourceType<{ numberOfBrokerNodes?: number }>("aws:msk/cluster:Cluster");
const mskConfiguration = resourceType<{ serverProperties?: string }>("aws:msk/configuration:Configuration");
const kafkaTopic = resourceType<{
  name?: string;
  replicationFactor?: number;
  config?: Record<string, string>;
}>("kafka:index/topic:Topic");
const openSearch = resourceType<{
  clusterConfig?: {
    zoneAwarenessEnabled?: boolean;
    zoneAwarenessConfig?: { availabilityZoneCount?: number };
    instanceCount?: number;
  };
}>("aws:opensearch/domain:Domain");

const zoneCount: ConfigProperty = {
  type: "integer",
  minimum: 1,
  default: 3,
  description: "The stack's zones.",
};

export const dataStoreBackups: ResourceValidationPolicy = {
  name: "data-store-backups",
  description: "PostgreSQL keeps point-in-time backups and a final snapshot; Redis keeps daily snapshots.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minBackupRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7 },
      minSnapshotRetentionDays: { type: "integer", minimum: 1, default: 1 },
    },
  },
  validateResource: [
    validateResourceOfType(auroraCluster, (db, args, report) => {
      const { minBackupRetentionDays } = args.getConfig<{ minBackupRetentionDays: number }>();
      const days = db.backupRetentionPeriod ?? 1;
      if (days < minBackupRetentionDays)
        report(`backups kept ${days} days; at least ${minBackupRetentionDays}`);
      if (db.skipFinalSnapshot === true) report("skipFinalSnapshot is true: deleting it would lose the data");
    }),
    validateResourceOfType(rdsInstance, (db, args, report) => {
      const { minBackupRetentionDays } = args.getConfig<{ minBackupRetentionDays: number }>();
      const days = db.backupRetentionPeriod ?? 0;
      if (days < minBackupRetentionDays)
        report(`backups kept ${days} days; at least ${minBackupRetentionDays}`);
    }),
    validateResourceOfType(redis, (group, args, report) => {
      const { minSnapshotRetentionDays } = args.getConfig<{ minSnapshotRetentionDays: number }>();
      const days = group.snapshotRetentionLimit ?? 0;
      if (days < minSnapshotRetentionDays)
        report(`snapshots kept ${days} days; at least ${minSnapshotRetentionDays}`);
    }),
  ],
};

export const prodDeletionProtection: ResourceValidationPolicy = {
  name: "prod-deletion-protection",
  description: "Prod databases have deletion protection on.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { prodStacks: prodStacksConfig } },
  validateResource: [auroraCluster, rdsInstance].map((type) =>
    validateResourceOfType(type, (db, args, report) => {
      const { prodStacks } = args.getConfig<{ prodStacks: string[] }>();
      if (!isProd(args.urn, args.stackTags, prodStacks)) args.notApplicable("not a prod stack");
      if (db.deletionProtection !== true) report("deletionProtection is not true on a prod database");
    }),
  ),
};

export const kafkaBrokersPerZone: ResourceValidationPolicy = {
  name: "kafka-brokers-per-zone",
  description: "MSK runs a multiple of three brokers, the same number in every zone.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { zoneCount } },
  validateResource: validateResourceOfType(mskCluster, (cluster, args, report) => {
    const { zoneCount } = args.getConfig<{ zoneCount: number }>();
    const brokers = cluster.numberOfBrokerNodes ?? 0;
    if (brokers === 0 || brokers % zoneCount !== 0)
      report(`${brokers} brokers is not a multiple of ${zoneCount}`);
  }),
};

/** `key=value` lines of a Kafka server.properties. */
const serverProperties = (text: string) =>
  new Map(
    text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => [line.slice(0, line.indexOf("=")).trim(), line.slice(line.indexOf("=") + 1).trim()]),
  );

interface DurabilityConfig {
  minReplicationFactor: number;
  minInsyncReplicas: number;
}

function checkReplication(rf: number, isr: number, config: DurabilityConfig, report: (m: string) => void) {
  if (rf < config.minReplicationFactor)
    report(`replication factor ${rf}; at least ${config.minReplicationFactor}`);
  if (isr < config.minInsyncReplicas)
    report(`min.insync.replicas ${isr}; at least ${config.minInsyncReplicas}`);
  if (isr >= rf)
    report(
      `min.insync.replicas ${isr} must be below the replication factor ${rf}, or one lost broker stops writes`,
    );
}

export const kafkaTopicDurability: ResourceValidationPolicy = {
  name: "kafka-topic-durability",
  description:
    "Kafka topics (and the brokers' defaults) keep three replicas and acknowledge writes on at least two.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minReplicationFactor: { type: "integer", minimum: 1, default: 3 },
      minInsyncReplicas: { type: "integer", minimum: 1, default: 2 },
    },
  },
  validateResource: [
    validateResourceOfType(kafkaTopic, (topic, args, report) => {
      const isr = Number(topic.config?.["min.insync.replicas"] ?? 1);
      checkReplication(topic.replicationFactor ?? 1, isr, args.getConfig<DurabilityConfig>(), report);
    }),
    validateResourceOfType(mskConfiguration, (configuration, args, report) => {
      const props = serverProperties(configuration.serverProperties ?? "");
      // Unset, MSK's defaults for a three-zone cluster apply: 3 replicas, 2 in sync.
      const rf = Number(props.get("default.replication.factor") ?? 3);
      const isr = Number(props.get("min.insync.replicas") ?? 2);
      checkReplication(rf, isr, args.getConfig<DurabilityConfig>(), report);
    }),
  ],
};

export const openSearchZoneAwareness: ResourceValidationPolicy = {
  name: "opensearch-zone-awareness",
  description: "OpenSearch is zone-aware over three zones, with data nodes in every zone alike.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { zoneCount } },
  validateResource: validateResourceOfType(openSearch, (domain, args, report) => {
    const { zoneCount } = args.getConfig<{ zoneCount: number }>();
    const config = domain.clusterConfig ?? {};
    if (config.zoneAwarenessEnabled !== true) report("zoneAwarenessEnabled is not true");
    const zones = config.zoneAwarenessConfig?.availabilityZoneCount ?? 2;
    if (zones !== zoneCount) report(`zone awareness over ${zones} zones; expected ${zoneCount}`);
    const nodes = config.instanceCount ?? 1;
    if (nodes % zoneCount !== 0) report(`${nodes} data nodes cannot spread evenly over ${zoneCount} zones`);
  }),
};

const objectLock = resourceType<{
  objectLockEnabled?: string;
  rule?: { defaultRetention?: { mode?: string; days?: number; years?: number } };
}>("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");

/**
 * Write-once means write-once for everyone: governance mode lets a principal with
 * `s3:BypassGovernanceRetention` delete a locked object, compliance mode lets no one.
 */
export const objectLockCompliance: ResourceValidationPolicy = {
  name: "object-lock-compliance",
  description: "Object Lock buckets lock every object by default, in compliance mode, for long enough.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { minRetentionDays: { type: "integer", minimum: 1, default: 365 } } },
  validateResource: validateResourceOfType(objectLock, (lock, args, report) => {
    const { minRetentionDays } = args.getConfig<{ minRetentionDays: number }>();
    const retention = lock.rule?.defaultRetention;
    if (lock.objectLockEnabled !== "Enabled") report("Object Lock is not enabled");
    if (retention?.mode !== "COMPLIANCE")
      report(
        `default retention mode is ${retention?.mode ?? "unset"}; COMPLIANCE lets no one remove an object`,
      );
    const days = retention?.days ?? (retention?.years ?? 0) * 365;
    if (days < minRetentionDays)
      report(`objects locked ${days} days by default; at least ${minRetentionDays}`);
  }),
};

export const dataDurabilityPolicies = [
  dataStoreBackups,
  prodDeletionProtection,
  kafkaBrokersPerZone,
  kafkaTopicDurability,
  openSearchZoneAwareness,
  objectLockCompliance,
];
