import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { loadServiceRegistry } from "../../services/registry.js";
import { idOf, outputValue, recorded, spec } from "../../test/pulumi.js";
import { Redis, type RedisArgs, validateRedisArgs } from "./redis.js";

const services = await loadServiceRegistry();
const platform = spec();
const zones = platform.network.zones;
const k8sProvider = new k8s.Provider("k8s", {
  kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
});
const allowed = ["sg-0eks0cluster0000a"];

const args: RedisArgs = {
  name: "platform-prod-redis",
  zones,
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-iso-a", "subnet-iso-b", "subnet-iso-c"],
  allowedSecurityGroupIds: allowed,
  services,
  k8sProvider,
  namespace: "platform",
  tags: { owner: "platform-team", "cost-center": "cc-4200" },
  engineVersion: platform.redis.engineVersion,
  nodeType: platform.redis.nodeType,
  snapshotRetentionDays: platform.redis.snapshotRetentionDays,
};

/** The services of the real registry that declare redis, sorted. */
const declaring = services
  .filter((s) => s.stores.includes("redis"))
  .map((s) => s.name)
  .sort();

describe("Redis", () => {
  const redis = new Redis("redis", args);
  const group = async () => {
    const [r] = await recorded("aws:elasticache/replicationGroup:ReplicationGroup", redis);
    if (!r) throw new Error("no replication group");
    return r;
  };

  it("runs one cache node in each of the three zones, with multi-AZ failover", async () => {
    const g = await group();
    expect(g.inputs["numCacheClusters"]).toBe(3);
    expect(g.inputs["preferredCacheClusterAzs"]).toEqual(zones);
    expect(new Set(g.inputs["preferredCacheClusterAzs"] as string[]).size).toBe(3);
    expect(g.inputs).toMatchObject({ automaticFailoverEnabled: true, multiAzEnabled: true, engine: "redis" });
  });

  it("lives only in the isolated subnets, which have no route out (ElastiCache has no public endpoint)", async () => {
    const [subnets] = await recorded("aws:elasticache/subnetGroup:SubnetGroup", redis);
    expect(subnets?.inputs["subnetIds"]).toEqual(args.subnetIds);
    expect((await group()).inputs["subnetGroupName"]).toBe(subnets?.inputs["name"]);
  });

  it("encrypts at rest with its own rotating KMS key and requires TLS in transit", async () => {
    const keyArn = await outputValue(redis.kmsKey.arn);
    const [key] = await recorded("aws:kms/key:Key", redis);
    expect(key?.inputs["enableKeyRotation"]).toBe(true);
    expect((await group()).inputs).toMatchObject({
      atRestEncryptionEnabled: true,
      kmsKeyId: keyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      authToken: "[secret]",
    });
  });

  it("uses a parameter group of the engine's major version", async () => {
    const [params] = await recorded("aws:elasticache/parameterGroup:ParameterGroup", redis);
    expect(params?.inputs["family"]).toBe("redis7");
    expect((await group()).inputs["parameterGroupName"]).toBe(params?.inputs["name"]);
  });

  it("admits only the allowed security groups, only on 6379, with no egress", async () => {
    const [sg] = await recorded("aws:ec2/securityGroup:SecurityGroup", redis);
    expect((await group()).inputs["securityGroupIds"]).toEqual([idOf(sg!)]);
    const rules = await recorded("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", redis);
    expect(rules.map((r) => r.inputs["referencedSecurityGroupId"])).toEqual(allowed);
    for (const r of rules) {
      expect(r.inputs).toMatchObject({
        securityGroupId: idOf(sg!),
        ipProtocol: "tcp",
        fromPort: 6379,
        toPort: 6379,
      });
      expect(r.inputs["cidrIpv4"]).toBeUndefined();
    }
    expect(await recorded("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", redis)).toEqual([]);
    expect(sg?.inputs["egress"] ?? []).toEqual([]);
  });

  it("keeps snapshots for the configured days and ships the slow log to CloudWatch", async () => {
    const g = await group();
    expect(g.inputs["snapshotRetentionLimit"]).toBe(platform.redis.snapshotRetentionDays);
    expect(g.inputs["snapshotWindow"]).toMatch(/^\d\d:\d\d-\d\d:\d\d$/);
    const [logGroup] = await recorded("aws:cloudwatch/logGroup:LogGroup", redis);
    expect(g.inputs["logDeliveryConfigurations"]).toEqual([
      expect.objectContaining({
        logType: "slow-log",
        destinationType: "cloudwatch-logs",
        destination: logGroup?.inputs["name"],
      }),
    ]);
  });

  it("hands exactly the services that declare redis a labelled Secret <service>-redis", async () => {
    const secrets = await recorded("kubernetes:core/v1:Secret", redis);
    expect(secrets.map((s) => (s.inputs["metadata"] as { name: string }).name).sort()).toEqual(
      declaring.map((s) => `${s}-redis`),
    );
    expect(declaring).toEqual(["catalog", "gateway", "identity"]);
    for (const s of secrets) {
      const metadata = s.inputs["metadata"] as {
        name: string;
        namespace: string;
        labels: Record<string, string>;
      };
      expect(metadata.namespace).toBe("platform");
      expect(`${metadata.labels["app.kubernetes.io/name"]}-redis`).toBe(metadata.name);
      expect(s.inputs["stringData"]).toBe("[secret]");
    }
    expect(redis.secretNames).toEqual(Object.fromEntries(declaring.map((s) => [s, `${s}-redis`])));
  });

  it("never shows the auth token in plain text", async () => {
    const token = await outputValue(redis.replicationGroup.authToken);
    expect(token).toMatch(/^pw-/);
    const all = JSON.stringify(await recorded(undefined, redis));
    expect(all).not.toContain(token!);
    expect(all).not.toMatch(/pw-[0-9a-f]{8,}/);
  });

  it("tags every taggable AWS child", async () => {
    const children = (await recorded(undefined, redis)).filter(
      (r) => r.type.startsWith("aws:") && r.type !== "aws:kms/alias:Alias",
    );
    expect(children.length).toBeGreaterThan(6);
    for (const c of children)
      expect(c.inputs["tags"], c.name).toMatchObject({ owner: "platform-team", Name: c.name });
  });
});

describe("validateRedisArgs", () => {
  it("refuses two zones", () => {
    expect(() => validateRedisArgs({ ...args, zones: zones.slice(0, 2) })).toThrow(
      /exactly 3 availability zones/,
    );
  });

  it("refuses a subnet count other than one per zone", () => {
    expect(() => validateRedisArgs({ ...args, subnetIds: [...args.subnetIds, "subnet-d"] })).toThrow(
      /one per availability zone \(3\), got 4/,
    );
  });

  it("refuses a Redis version older than 6", () => {
    expect(() => validateRedisArgs({ ...args, engineVersion: "5.0" })).toThrow(/6\.x or newer/);
  });

  it("refuses a replication group id longer than 40 characters", () => {
    expect(() => validateRedisArgs({ ...args, name: `r${"x".repeat(40)}` })).toThrow(/at most 40/);
  });
});
