import type { RegisteredService } from "../../services/registry.js";

/**
 * The Kafka topology derived from the service registry, decided once and tested without any
 * cloud: which SCRAM users exist, which topics, and exactly which ACLs each principal holds.
 * A service may write only its own events topic, read only what it declares it consumes, use
 * only its own consumer group and its own dead-letter topic. Nothing else is granted.
 *
 * There is no SCRAM admin: the Pulumi Kafka provider signs in over SASL/IAM as whoever runs
 * `pulumi up`, and IAM (`adminPolicy`), not Kafka ACLs, authorizes IAM principals.
 */

/** Every partition lives on three brokers, one per zone (MSK spreads replicas over zones). */
export const replicationFactor = 3;
/** A write succeeds once two replicas have it: one zone can be lost without losing acks. */
export const minInsyncReplicas = 2;

/** The name MSK requires for a SCRAM secret: the `AmazonMSK_` prefix, then cluster and user. */
export const scramSecretName = (clusterName: string, user: string) => `AmazonMSK_${clusterName}_${user}`;

/** The Kafka principal of a SCRAM user, as ACLs name it. */
export const principal = (user: string) => `User:${user}`;

/** The services that publish or consume events, hence get a SCRAM user, ACLs and a K8s Secret. */
export function kafkaServices(services: readonly RegisteredService[]): RegisteredService[] {
  return services.filter((s) => s.topic !== undefined || s.consumedTopics.length > 0);
}

/** Every SCRAM user of the cluster: one per Kafka-using service, named after it, and no other. */
export function scramUsers(services: readonly RegisteredService[]): string[] {
  return kafkaServices(services).map((s) => s.name);
}

export interface TopicSettings {
  readonly partitions: number;
  readonly retentionHours: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export const retentionMs = (hours: number) => hours * 60 * 60 * 1000;

/** Each publisher's events topic and each consumer's dead-letter topic, sorted by name. */
export function planTopics(services: readonly RegisteredService[], settings: TopicSettings): TopicSpec[] {
  const names = services.flatMap((s) => [s.topic, s.deadLetterTopic]).filter((t): t is string => !!t);
  return [...new Set(names)].sort().map((name) => ({
    name,
    partitions: settings.partitions,
    replicationFactor,
    config: {
      "min.insync.replicas": String(minInsyncReplicas),
      "cleanup.policy": "delete",
      "retention.ms": String(retentionMs(settings.retentionHours)),
    },
  }));
}

/** No SCRAM principal holds a right on the cluster resource, nor `All` on anything. */
export type AclResourceType = "Topic" | "Group";
export type AclOperation = "Read" | "Write" | "Describe";

/** One ALLOW entry, literal resource pattern, from any host. */
export interface AclSpec {
  readonly user: string;
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly operation: AclOperation;
}

/**
 * What one service may do, and nothing more: Write and Describe on its own events topic;
 * Read and Describe on each topic it consumes; Read on its own consumer group (named after
 * the service); Read, Write and Describe on its own dead-letter topic. No cluster-level right:
 * idempotent producers need only Write on the topic since Kafka 2.8 (KIP-679).
 */
export function serviceAcls(service: RegisteredService): AclSpec[] {
  const acl = (resourceType: AclResourceType, resourceName: string, operation: AclOperation): AclSpec => ({
    user: service.name,
    resourceType,
    resourceName,
    operation,
  });
  const acls: AclSpec[] = [];
  if (service.topic) acls.push(acl("Topic", service.topic, "Write"), acl("Topic", service.topic, "Describe"));
  for (const topic of service.consumedTopics)
    acls.push(acl("Topic", topic, "Read"), acl("Topic", topic, "Describe"));
  if (service.consumedTopics.length > 0) acls.push(acl("Group", consumerGroup(service), "Read"));
  if (service.deadLetterTopic) {
    for (const operation of ["Read", "Write", "Describe"] as const)
      acls.push(acl("Topic", service.deadLetterTopic, operation));
  }
  return acls;
}

/** A consuming service's consumer group: its own name. */
export const consumerGroup = (service: Pick<RegisteredService, "name">) => service.name;

/** Every ACL of the cluster: each Kafka-using service's, in registry order. */
export function planAcls(services: readonly RegisteredService[]): AclSpec[] {
  return kafkaServices(services).flatMap(serviceAcls);
}

/**
 * The ARNs IAM authorization knows for one MSK cluster: the cluster itself, and every topic
 * and every group of it (`topic/<cluster-name>/<cluster-uuid>/*`), derived from the cluster
 * ARN `arn:<partition>:kafka:<region>:<account>:cluster/<cluster-name>/<cluster-uuid>`
 * (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
 */
export function clusterResourceArns(clusterArn: string): { cluster: string; topics: string; groups: string } {
  const match = /^(arn:[^:]+:[^:]+:[^:]*:[^:]*:)cluster\/([^*]+)$/.exec(clusterArn);
  if (!match) throw new Error(`expected an MSK cluster ARN (…:cluster/<name>/<uuid>), got "${clusterArn}"`);
  const [, prefix, path] = match;
  return { cluster: clusterArn, topics: `${prefix}topic/${path}/*`, groups: `${prefix}group/${path}/*` };
}

/**
 * What the admin (whoever runs `pulumi up`, signed in over SASL/IAM) does through the Kafka
 * provider, as IAM actions, each with the actions IAM requires alongside it: connect, read
 * and create or delete ACLs (Describe/AlterCluster), manage topics and their configuration,
 * and describe consumer groups. No data-plane action (ReadData, WriteData) and no dynamic
 * cluster configuration.
 */
export const adminActions = {
  cluster: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:AlterCluster"],
  topics: [
    "kafka-cluster:CreateTopic",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:AlterTopic",
    "kafka-cluster:DeleteTopic",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:AlterTopicDynamicConfiguration",
  ],
  groups: ["kafka-cluster:DescribeGroup"],
} as const;

/**
 * The least IAM policy the deployer needs on one cluster, its topics and its groups: attach
 * it to the role or user that runs `pulumi up` (besides its control-plane rights on MSK).
 * IAM principals are authorized by IAM policies, never by Kafka ACLs, so this works on a
 * cluster that is closed from its creation (`allow.everyone.if.no.acl.found=false`).
 */
export function adminPolicy(clusterArn: string): string {
  const arns = clusterResourceArns(clusterArn);
  const statement = (sid: string, actions: readonly string[], resource: string) => ({
    Sid: sid,
    Effect: "Allow",
    Action: [...actions],
    Resource: resource,
  });
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      statement("KafkaAdminCluster", adminActions.cluster, arns.cluster),
      statement("KafkaAdminTopics", adminActions.topics, arns.topics),
      statement("KafkaAdminGroups", adminActions.groups, arns.groups),
    ],
  });
}

/**
 * The brokers' server.properties (an MSK configuration). Topics are created only by the
 * admin through the Kafka provider, never implicitly; a resource without ACLs is closed to
 * SCRAM principals (IAM principals are authorized by IAM instead).
 */
export function serverProperties(settings: Pick<TopicSettings, "retentionHours">): string {
  const properties: Record<string, string | number | boolean> = {
    "auto.create.topics.enable": false,
    "default.replication.factor": replicationFactor,
    "min.insync.replicas": minInsyncReplicas,
    "allow.everyone.if.no.acl.found": false,
    "unclean.leader.election.enable": false,
    "log.retention.hours": settings.retentionHours,
  };
  return `${Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n")}\n`;
}
