import { describe, expect, it } from "vitest";
import { loadServiceRegistry } from "../../services/registry.js";
import {
  adminActions,
  adminPolicy,
  clusterResourceArns,
  kafkaServices,
  planAcls,
  planTopics,
  scramSecretName,
  scramUsers,
  serverProperties,
  serviceAcls,
} from "./topology.js";

const services = await loadServiceRegistry();
const byName = (name: string) => services.find((s) => s.name === name)!;
const grants = (service: string, resourceType: string, operation: string) =>
  serviceAcls(byName(service))
    .filter((a) => a.resourceType === resourceType && a.operation === operation)
    .map((a) => a.resourceName)
    .sort();

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("Kafka topology from the registry", () => {
  it("gives a SCRAM user to every service that publishes or consumes, and to no admin or other", () => {
    const expected = services
      .filter((s) => s.events.publishes || s.consumedTopics.length > 0)
      .map((s) => s.name);
    expect(scramUsers(services)).toEqual(expected);
    expect(scramUsers(services)).not.toContain("gateway");
    expect(scramUsers(services)).not.toContain("platform_admin");
    expect(kafkaServices(services).map((s) => s.name)).toEqual(expected);
  });

  it("names each SCRAM secret with the AmazonMSK_ prefix MSK requires", () => {
    expect(scramSecretName("platform-prod", "search")).toBe("AmazonMSK_platform-prod_search");
  });

  it("creates each publisher's events topic and each consumer's dead-letter topic", () => {
    const names = planTopics(services, { partitions: 12, retentionHours: 168 }).map((t) => t.name);
    const expected = [
      ...services.filter((s) => s.topic).map((s) => s.topic!),
      ...services.filter((s) => s.deadLetterTopic).map((s) => s.deadLetterTopic!),
    ].sort();
    expect(names).toEqual(expected);
    expect(names).toContain("catalog.events.v1");
    expect(names).toContain("audit.deadletter.v1");
  });

  it("replicates every topic three times, acks on two, deletes after the retention", () => {
    for (const topic of planTopics(services, { partitions: 12, retentionHours: 168 })) {
      expect(topic).toMatchObject({ partitions: 12, replicationFactor: 3 });
      expect(topic.config).toEqual({
        "min.insync.replicas": "2",
        "cleanup.policy": "delete",
        "retention.ms": String(168 * 3_600_000),
      });
    }
  });

  it("lets each service write only its own events topic", () => {
    for (const service of kafkaServices(services)) {
      expect(grants(service.name, "Topic", "Write").filter((t) => t.endsWith(".events.v1"))).toEqual(
        service.topic ? [service.topic] : [],
      );
    }
  });

  it("lets each service read only the topics it declares, its dead-letter topic and its group", () => {
    for (const service of kafkaServices(services)) {
      const dlt = service.deadLetterTopic ? [service.deadLetterTopic] : [];
      expect(grants(service.name, "Topic", "Read")).toEqual([...service.consumedTopics, ...dlt].sort());
      expect(grants(service.name, "Group", "Read")).toEqual(
        service.consumedTopics.length ? [service.name] : [],
      );
    }
    expect(grants("search", "Topic", "Read")).toContain("catalog.events.v1");
    expect(grants("search", "Topic", "Read")).not.toContain("orders.events.v1");
    expect(grants("catalog", "Topic", "Read")).toEqual([]);
  });

  it("lets audit read every events topic", () => {
    const eventsTopics = services.filter((s) => s.topic).map((s) => s.topic!);
    expect(grants("audit", "Topic", "Read").filter((t) => t.endsWith(".events.v1"))).toEqual(
      eventsTopics.sort(),
    );
  });

  it("lets a consumer write, read and describe its own dead-letter topic only", () => {
    for (const service of kafkaServices(services)) {
      const onDeadLetters = serviceAcls(service)
        .filter((a) => a.resourceName.endsWith(".deadletter.v1"))
        .map((a) => `${a.resourceName}:${a.operation}`)
        .sort();
      const dlt = service.deadLetterTopic;
      expect(onDeadLetters).toEqual(dlt ? [`${dlt}:Describe`, `${dlt}:Read`, `${dlt}:Write`] : []);
    }
  });

  it("gives no principal a cluster-level, wildcard or All right: there is no SCRAM admin", () => {
    const acls = planAcls(services);
    expect(acls.length).toBeGreaterThan(0);
    for (const acl of acls) {
      expect(["Topic", "Group"]).toContain(acl.resourceType);
      expect(["Read", "Write", "Describe"]).toContain(acl.operation);
      expect(acl.resourceName).not.toContain("*");
    }
    expect(new Set(acls.map((a) => a.user))).toEqual(new Set(kafkaServices(services).map((s) => s.name)));
  });

  it("tells the brokers to create no topic implicitly, to replicate three times and to close resources without ACLs", () => {
    expect(parseProperties(serverProperties({ retentionHours: 168 }))).toEqual({
      "auto.create.topics.enable": "false",
      "default.replication.factor": "3",
      "min.insync.replicas": "2",
      "allow.everyone.if.no.acl.found": "false",
      "unclean.leader.election.enable": "false",
      "log.retention.hours": "168",
    });
  });
});

describe("the admin's IAM policy", () => {
  const clusterArn =
    "arn:aws:kafka:eu-west-1:123456789012:cluster/platform-prod-kafka/abcd1234-0123-abcd-5678-1234abcd-3";
  type Statement = { Sid: string; Effect: string; Action: string[]; Resource: string };
  const statements = () => (JSON.parse(adminPolicy(clusterArn)) as { Statement: Statement[] }).Statement;

  it("scopes cluster rights to the cluster's ARN, and topic and group rights to this cluster's own", () => {
    expect(statements().map((s) => [s.Effect, s.Resource])).toEqual([
      ["Allow", clusterArn],
      [
        "Allow",
        "arn:aws:kafka:eu-west-1:123456789012:topic/platform-prod-kafka/abcd1234-0123-abcd-5678-1234abcd-3/*",
      ],
      [
        "Allow",
        "arn:aws:kafka:eu-west-1:123456789012:group/platform-prod-kafka/abcd1234-0123-abcd-5678-1234abcd-3/*",
      ],
    ]);
  });

  it("lets the deployer connect, manage ACLs and topics and describe groups, and nothing more", () => {
    const [cluster, topics, groups] = statements();
    expect(cluster!.Action).toEqual([
      "kafka-cluster:Connect",
      "kafka-cluster:DescribeCluster",
      "kafka-cluster:AlterCluster",
    ]);
    expect([...topics!.Action].sort()).toEqual(
      [
        "kafka-cluster:AlterTopic",
        "kafka-cluster:AlterTopicDynamicConfiguration",
        "kafka-cluster:CreateTopic",
        "kafka-cluster:DeleteTopic",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:DescribeTopicDynamicConfiguration",
      ].sort(),
    );
    expect(groups!.Action).toEqual(["kafka-cluster:DescribeGroup"]);
    const all = statements().flatMap((s) => s.Action);
    expect(all.filter((a) => a.includes("*") || /Data/.test(a))).toEqual([]);
  });

  it("includes every action IAM requires alongside the ones it grants", () => {
    const granted = new Set<string>(Object.values(adminActions).flat());
    const requires: Record<string, string[]> = {
      "kafka-cluster:AlterCluster": ["kafka-cluster:DescribeCluster"],
      "kafka-cluster:AlterTopic": ["kafka-cluster:DescribeTopic"],
      "kafka-cluster:DeleteTopic": ["kafka-cluster:DescribeTopic"],
      "kafka-cluster:AlterTopicDynamicConfiguration": ["kafka-cluster:DescribeTopicDynamicConfiguration"],
    };
    expect(adminActions.cluster).toContain("kafka-cluster:Connect");
    for (const [action, needed] of Object.entries(requires)) {
      expect(granted).toContain(action);
      for (const other of needed) expect(granted, action).toContain(other);
    }
  });

  it("refuses an ARN that is not an MSK cluster's", () => {
    expect(() =>
      clusterResourceArns("arn:aws:kafka:eu-west-1:123456789012:topic/platform-prod-kafka/x/t"),
    ).toThrow(/MSK cluster ARN/);
    expect(() => clusterResourceArns("arn:aws:kafka:eu-west-1:123456789012:cluster/*")).toThrow(
      /MSK cluster ARN/,
    );
  });
});
