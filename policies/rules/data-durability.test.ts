import { describe, expect, it } from "vitest";
import { changed, check, messages, resource } from "../test/fixtures.js";
import {
  dataStoreBackups,
  kafkaBrokersPerZone,
  kafkaTopicDurability,
  objectLockCompliance,
  openSearchZoneAwareness,
  prodDeletionProtection,
} from "./data-durability.js";

const db = resource("aws:rds/cluster:Cluster", "db", { backupRetentionPeriod: 14, deletionProtection: true });
const redis = resource("aws:elasticache/replicationGroup:ReplicationGroup", "redis", {
  snapshotRetentionLimit: 7,
});
const topic = resource("kafka:index/topic:Topic", "orders", {
  replicationFactor: 3,
  config: { "min.insync.replicas": "2" },
});
const brokers = resource("aws:msk/configuration:Configuration", "kafka-config", {
  serverProperties: "default.replication.factor=3\nmin.insync.replicas=2\n",
});
const msk = resource("aws:msk/cluster:Cluster", "kafka", { numberOfBrokerNodes: 6 });
const search = resource("aws:opensearch/domain:Domain", "search", {
  clusterConfig: {
    zoneAwarenessEnabled: true,
    zoneAwarenessConfig: { availabilityZoneCount: 3 },
    instanceCount: 3,
  },
});

describe("data-store-backups", () => {
  it("passes retained backups and snapshots", async () => {
    expect(messages(await check(dataStoreBackups, [db, redis]))).toEqual([]);
  });
  it("flags short retention, a skipped final snapshot and no Redis snapshots", async () => {
    const run = await check(dataStoreBackups, [
      changed(db, (r) => Object.assign(r.inputs, { backupRetentionPeriod: 3, skipFinalSnapshot: true })),
      changed(redis, (r) => delete r.inputs["snapshotRetentionLimit"]),
    ]);
    expect(messages(run)).toEqual([
      "backups kept 3 days; at least 7",
      "skipFinalSnapshot is true: deleting it would lose the data",
      "snapshots kept 0 days; at least 1",
    ]);
  });
});

describe("prod-deletion-protection", () => {
  const unprotected = changed(db, (r) => (r.inputs["deletionProtection"] = false));
  it("flags an unprotected database on prod only", async () => {
    expect(messages(await check(prodDeletionProtection, [unprotected]))).toEqual([
      "deletionProtection is not true on a prod database",
    ]);
    const staging = changed(unprotected, (r) => (r.urn = r.urn.replace(":prod::", ":staging::")));
    expect(messages(await check(prodDeletionProtection, [staging]))).toEqual([]);
  });
  it("recognises prod by the stack tag environment=prod as well", async () => {
    const staging = changed(unprotected, (r) => (r.urn = r.urn.replace(":prod::", ":eu-prod::")));
    const run = await check(prodDeletionProtection, [staging], {
      stackTags: new Map([["environment", "prod"]]),
    });
    expect(messages(run)).toHaveLength(1);
  });
});

describe("kafka policies", () => {
  it("pass six brokers, topics with three replicas and two in sync", async () => {
    expect(messages(await check([kafkaBrokersPerZone, kafkaTopicDurability], [msk, topic, brokers]))).toEqual(
      [],
    );
  });
  it("flag four brokers", async () => {
    const run = await check(kafkaBrokersPerZone, [
      changed(msk, (r) => (r.inputs["numberOfBrokerNodes"] = 4)),
    ]);
    expect(messages(run)).toEqual(["4 brokers is not a multiple of 3"]);
  });
  it("flag a topic with two replicas, and brokers defaulting to one in sync", async () => {
    const run = await check(kafkaTopicDurability, [
      changed(topic, (r) => (r.inputs["replicationFactor"] = 2)),
      changed(brokers, (r) => (r.inputs["serverProperties"] = "min.insync.replicas=1\n")),
    ]);
    expect(messages(run)).toEqual([
      "replication factor 2; at least 3",
      "min.insync.replicas 2 must be below the replication factor 2, or one lost broker stops writes",
      "min.insync.replicas 1; at least 2",
    ]);
  });
});

describe("opensearch-zone-awareness", () => {
  it("passes three zones with three data nodes", async () => {
    expect(messages(await check(openSearchZoneAwareness, [search]))).toEqual([]);
  });
  it("flags two-zone awareness", async () => {
    const twoZones = changed(
      search,
      (r) => (r.inputs["clusterConfig"] = { zoneAwarenessEnabled: true, instanceCount: 4 }),
    );
    expect(messages(await check(openSearchZoneAwareness, [twoZones]))).toEqual([
      "zone awareness over 2 zones; expected 3",
      "4 data nodes cannot spread evenly over 3 zones",
    ]);
  });
});

describe("object-lock-compliance", () => {
  const lock = resource("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "heads", {
    objectLockEnabled: "Enabled",
    rule: { defaultRetention: { mode: "COMPLIANCE", days: 2555 } },
  });
  it("passes a compliance-mode default retention", async () => {
    expect(messages(await check(objectLockCompliance, [lock]))).toEqual([]);
  });
  it("flags governance mode, which a privileged principal can bypass, and a short retention", async () => {
    const weak = changed(
      lock,
      (r) => (r.inputs["rule"] = { defaultRetention: { mode: "GOVERNANCE", days: 30 } }),
    );
    expect(messages(await check(objectLockCompliance, [weak]))).toEqual([
      "default retention mode is GOVERNANCE; COMPLIANCE lets no one remove an object",
      "objects locked 30 days by default; at least 365",
    ]);
  });
});
