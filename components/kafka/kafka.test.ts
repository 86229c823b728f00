import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { loadServiceRegistry } from "../../services/registry.js";
import { commonTags, namePrefix, workloadNamespace } from "../../stacks/naming.js";
import { idOf, outputValue, recorded, spec } from "../../test/pulumi.js";
import { Kafka, type KafkaArgs, validateKafkaArgs } from "./kafka.js";

const platform = spec();
const services = await loadServiceRegistry();
const byName = (name: string) => services.find((s) => s.name === name)!;
const k8sProvider = new k8s.Provider("kafka-test-k8s", { kubeconfig: "{}" });
const args: KafkaArgs = {
  name: namePrefix(platform),
  region: platform.region,
  ...platform.kafka,
  zones: platform.network.zones,
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-private-a", "subnet-private-b", "subnet-private-c"],
  allowedSecurityGroupIds: ["sg-nodes", "sg-ci-runner"],
  services,
  k8sProvider,
  namespace: workloadNamespace,
  tags: commonTags(platform),
};

type Acl = {
  aclPrincipal: string;
  aclOperation: string;
  aclResourceType: string;
  aclResourceName: string;
  aclPermissionType: string;
};

describe("Kafka", () => {
  const cluster = new Kafka("kafka", args);
  const mskCluster = async () => (await recorded("aws:msk/cluster:Cluster", cluster))[0]!.inputs;
  const acls = async () =>
    (await recorded("kafka:index/acl:Acl", cluster)).map((r) => r.inputs as unknown as Acl);
  const allowed = async (user: string, type: string, operation: string) =>
    (await acls())
      .filter(
        (a) =>
          a.aclPrincipal === `User:${user}` &&
          a.aclResourceType === type &&
          a.aclOperation === operation &&
          a.aclPermissionType === "Allow",
      )
      .map((a) => a.aclResourceName)
      .sort();

  it("runs a multiple of three brokers over the three zones' subnets", async () => {
    const inputs = await mskCluster();
    expect(inputs["numberOfBrokerNodes"]).toBe(platform.kafka.brokersPerZone * 3);
    expect((inputs["numberOfBrokerNodes"] as number) % 3).toBe(0);
    const group = inputs["brokerNodeGroupInfo"] as Record<string, unknown>;
    expect(group["clientSubnets"]).toEqual(args.subnetIds);
    expect(group).toMatchObject({
      instanceType: platform.kafka.brokerInstanceType,
      storageInfo: { ebsStorageInfo: { volumeSize: platform.kafka.volumeSizeGiB } },
    });
  });

  it("authenticates with SASL/SCRAM and SASL/IAM only, over TLS, and encrypts at rest with its own rotated key", async () => {
    const inputs = await mskCluster();
    expect(inputs["clientAuthentication"]).toEqual({
      sasl: { scram: true, iam: true },
      unauthenticated: false,
    });
    const encryption = inputs["encryptionInfo"] as Record<string, unknown>;
    expect(encryption["encryptionInTransit"]).toEqual({ clientBroker: "TLS", inCluster: true });
    const keys = await recorded("aws:kms/key:Key", cluster);
    const dataKey = keys.find((k) => k.name === "kafka-kms")!;
    expect(encryption["encryptionAtRestKmsKeyArn"]).toContain(idOf(dataKey));
    expect(keys.every((k) => k.inputs["enableKeyRotation"] === true)).toBe(true);
    expect(await outputValue(cluster.kmsKey.id)).toBe(idOf(dataKey));
  });

  it("admits ports 9096 (SCRAM) and 9098 (IAM) and nothing else, only from the allowed security groups", async () => {
    const [sg] = await recorded("aws:ec2/securityGroup:SecurityGroup", cluster);
    expect(sg!.inputs["ingress"] ?? []).toEqual([]);
    expect(sg!.inputs["egress"] ?? []).toEqual([]);
    const rules = (await recorded("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).filter(
      (r) => r.inputs["securityGroupId"] === idOf(sg!),
    );
    const admitted = rules
      .map((r) => `${r.inputs["referencedSecurityGroupId"]}:${r.inputs["fromPort"]}-${r.inputs["toPort"]}`)
      .sort();
    expect(admitted).toEqual(
      args.allowedSecurityGroupIds.flatMap((source) => [`${source}:9096-9096`, `${source}:9098-9098`]).sort(),
    );
    for (const rule of rules) {
      expect(rule.inputs["ipProtocol"]).toBe("tcp");
      expect(rule.inputs["cidrIpv4"]).toBeUndefined();
    }
    const group = (await mskCluster())["brokerNodeGroupInfo"] as { securityGroups: string[] };
    expect(group.securityGroups).toEqual([idOf(sg!)]);
  });

  it("configures the brokers closed by default, logs to CloudWatch and exports Prometheus metrics", async () => {
    const [config] = await recorded("aws:msk/configuration:Configuration", cluster);
    const properties = String(config!.inputs["serverProperties"]);
    for (const line of [
      "auto.create.topics.enable=false",
      "default.replication.factor=3",
      "min.insync.replicas=2",
      "allow.everyone.if.no.acl.found=false",
      "unclean.leader.election.enable=false",
      `log.retention.hours=${platform.kafka.retentionHours}`,
    ])
      expect(properties.split("\n")).toContain(line);
    const inputs = await mskCluster();
    expect(inputs["configurationInfo"]).toMatchObject({ revision: 1 });
    expect(inputs["openMonitoring"]).toEqual({
      prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } },
    });
    const [logGroup] = await recorded("aws:cloudwatch/logGroup:LogGroup", cluster);
    expect(inputs["loggingInfo"]).toEqual({
      brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: logGroup!.inputs["name"] } },
    });
  });

  it("keeps each service's SCRAM user, and no admin, in an AmazonMSK_ secret encrypted with a dedicated key, all associated", async () => {
    const secrets = await recorded("aws:secretsmanager/secret:Secret", cluster);
    const users = services.filter((s) => s.topic || s.deadLetterTopic).map((s) => s.name);
    expect(secrets.map((s) => s.inputs["name"]).sort()).toEqual(
      users.map((u) => `AmazonMSK_${args.name}_${u}`).sort(),
    );
    const secretsKey = (await recorded("aws:kms/key:Key", cluster)).find((k) => k.name === "kafka-secrets")!;
    for (const s of secrets) expect(s.inputs["kmsKeyId"]).toContain(idOf(secretsKey));
    for (const version of await recorded("aws:secretsmanager/secretVersion:SecretVersion", cluster))
      expect(version.inputs["secretString"]).toBe("[secret]");
    const [association] = await recorded("aws:msk/scramSecretAssociation:ScramSecretAssociation", cluster);
    expect((association!.inputs["secretArnLists"] as string[]).length).toBe(secrets.length);
  });

  it("replicates every topic three times with min.insync.replicas 2", async () => {
    const topics = await recorded("kafka:index/topic:Topic", cluster);
    expect(topics.map((t) => t.inputs["name"]).sort()).toEqual(Object.keys(cluster.topics).sort());
    expect(topics.length).toBeGreaterThan(0);
    for (const topic of topics) {
      expect(topic.inputs).toMatchObject({ replicationFactor: 3, partitions: platform.kafka.partitions });
      expect(topic.inputs["config"]).toMatchObject({
        "min.insync.replicas": "2",
        "cleanup.policy": "delete",
      });
    }
  });

  it("lets each service write only to its own events topic", async () => {
    for (const service of services) {
      const writes = (await allowed(service.name, "Topic", "Write")).filter((t) => t.endsWith(".events.v1"));
      expect(writes).toEqual(service.topic ? [service.topic] : []);
    }
  });

  it("lets search read catalog's events but not orders', and audit read every events topic", async () => {
    const searchReads = await allowed("search", "Topic", "Read");
    expect(searchReads).toContain("catalog.events.v1");
    expect(searchReads).not.toContain("orders.events.v1");
    expect(searchReads).toEqual([...byName("search").consumedTopics, "search.deadletter.v1"].sort());
    const auditReads = (await allowed("audit", "Topic", "Read")).filter((t) => t.endsWith(".events.v1"));
    expect(auditReads).toEqual(services.filter((s) => s.topic).map((s) => s.topic!));
  });

  it("lets each consumer read only its own consumer group", async () => {
    for (const service of services)
      expect(await allowed(service.name, "Group", "Read")).toEqual(
        service.consumedTopics.length > 0 ? [service.name] : [],
      );
  });

  it("has no SCRAM admin: no ACL on the cluster, on a wildcard or for All, and only services' principals", async () => {
    const all = await acls();
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((a) => a.aclResourceType === "Cluster")).toEqual([]);
    expect(all.filter((a) => a.aclResourceName.includes("*") || a.aclOperation === "All")).toEqual([]);
    const principals = new Set(all.map((a) => a.aclPrincipal));
    expect(principals).not.toContain("User:platform_admin");
    expect([...principals].sort()).toEqual(
      services
        .filter((s) => s.topic || s.consumedTopics.length > 0)
        .map((s) => `User:${s.name}`)
        .sort(),
    );
  });

  it("manages topics and ACLs as the deployer over SASL/IAM and TLS, with no SCRAM credentials", async () => {
    const [provider] = await recorded("pulumi:providers:kafka", cluster);
    const inputs = provider!.inputs;
    expect(inputs).toMatchObject({ saslMechanism: "aws-iam", saslAwsRegion: platform.region });
    expect(String(inputs["tlsEnabled"])).toBe("true");
    expect(inputs["saslUsername"]).toBeUndefined();
    expect(inputs["saslPassword"]).toBeUndefined();
    const servers = inputs["bootstrapServers"];
    const list = typeof servers === "string" ? (JSON.parse(servers) as string[]) : (servers as string[]);
    expect(list).toHaveLength(platform.kafka.brokersPerZone * 3);
    expect(list.every((b) => b.endsWith(":9098"))).toBe(true);
  });

  it("exposes the deployer's IAM policy, scoped to this cluster, its topics and its groups", async () => {
    const clusterArn = await outputValue(cluster.cluster.arn);
    const policy = JSON.parse(await outputValue(cluster.adminPolicyJson)) as {
      Statement: { Action: string[]; Resource: string }[];
    };
    const resources = policy.Statement.map((s) => s.Resource);
    expect(resources[0]).toBe(clusterArn);
    for (const resource of resources.slice(1)) {
      expect(resource).toMatch(/:(topic|group)\/.+\/\*$/);
      expect(resource.replace(/:(topic|group)\//, ":cluster/").replace(/\/\*$/, "")).toBe(clusterArn);
    }
    expect(policy.Statement.flatMap((s) => s.Action)).toContain("kafka-cluster:AlterCluster");
  });

  it("hands each Kafka-using service a <service>-kafka Secret, its password a secret shown masked", async () => {
    const secrets = await recorded("kubernetes:core/v1:Secret", cluster);
    const kafkaUsers = services.filter((s) => s.topic || s.consumedTopics.length > 0).map((s) => s.name);
    expect(secrets.map((s) => (s.inputs["metadata"] as { name: string }).name).sort()).toEqual(
      kafkaUsers.map((name) => `${name}-kafka`).sort(),
    );
    for (const secret of secrets) {
      expect(secret.inputs["stringData"]).toBe("[secret]");
      expect((secret.inputs["metadata"] as { namespace: string }).namespace).toBe(workloadNamespace);
    }
    expect(Object.keys(cluster.serviceSecrets).sort()).toEqual([...kafkaUsers].sort());
  });

  it("puts brokers, the service's own SCRAM credentials and its group in its Secret", async () => {
    const passwords = await recorded("random:index/randomPassword:RandomPassword", cluster);
    for (const [service, secret] of Object.entries(cluster.serviceSecrets)) {
      expect(await pulumi.isSecret(secret.stringData)).toBe(true);
      const data = await outputValue(secret.stringData);
      const consumes = byName(service).consumedTopics.length > 0;
      expect(data).toEqual({
        brokers: await outputValue(cluster.bootstrapBrokers),
        username: service,
        password: expect.stringMatching(/^pw-/),
        mechanism: "SCRAM-SHA-512",
        clientId: service,
        ...(consumes ? { consumerGroup: service } : {}),
      });
      expect(passwords.some((p) => p.name === `kafka-${service}`)).toBe(true);
    }
    const search = await outputValue(cluster.serviceSecrets["search"]!.stringData);
    const catalog = await outputValue(cluster.serviceSecrets["catalog"]!.stringData);
    expect(search["password"]).not.toBe(catalog["password"]);
  });

  it("exposes the SASL/SCRAM bootstrap brokers", async () => {
    expect(await outputValue(cluster.bootstrapBrokers)).toMatch(/^b-1\..*:9096,b-2\..*:9096,b-3\..*:9096$/);
  });
});

describe("validateKafkaArgs", () => {
  it("refuses two zones, naming the property", () => {
    expect(() => validateKafkaArgs({ ...args, zones: ["eu-west-1a", "eu-west-1b"] })).toThrow(
      /exactly 3 availability zones/,
    );
  });

  it("refuses a subnet list that is not one per zone", () => {
    expect(() => validateKafkaArgs({ ...args, subnetIds: ["subnet-a", "subnet-b"] })).toThrow(
      /one per availability zone \(3\), got 2/,
    );
  });

  it("refuses a broker count that is not a positive integer per zone", () => {
    expect(() => validateKafkaArgs({ ...args, brokersPerZone: 0 })).toThrow(/brokersPerZone|integer from 1/);
    expect(() => validateKafkaArgs({ ...args, brokersPerZone: 1.5 })).toThrow(/integer from 1/);
  });

  it("refuses a volume larger than MSK allows", () => {
    expect(() => validateKafkaArgs({ ...args, volumeSizeGiB: 20_000 })).toThrow(/1 to 16384/);
  });

  it("refuses a cluster nobody could reach", () => {
    expect(() => validateKafkaArgs({ ...args, allowedSecurityGroupIds: [] })).toThrow(
      /at least one security group/,
    );
  });

  it("refuses a region the provider could not sign for", () => {
    expect(() => validateKafkaArgs({ ...args, region: "eu-west" })).toThrow(/AWS region/);
    expect(() => validateKafkaArgs({ ...args, region: "eu-west-1a" })).toThrow(/AWS region/);
  });

  it("refuses a cluster name MSK would reject", () => {
    expect(() => validateKafkaArgs({ ...args, name: "platform_prod" })).toThrow(
      /letters, digits and hyphens/,
    );
  });
});
