import type { RegisteredService } from "../../services/registry.js";

/**
 * The Kafka topology derived from the service registry, decided once and tested without any
 * cloud: which SCRAM users exist, which topics, and exactly which ACLs each principal holds.
 * A service may write only its own events topic, read only what it declares it consumes, use
 * only its own consumer group and its own dead-letter topic. Nothing else is granted.
 */

/**
 * The SCRAM user the Pulumi Kafka provider signs in as. Service names are lowercase DNS
 * labels (no underscore), so this name can never collide with a service's user.
 */
export const adminUser = "platform_admin";

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

/** Every SCRAM user of the cluster: the admin first, then one per Kafka-using service. */
export function scramUsers(services: readonly RegisteredService[]): string[] {
  return [adminUser, ...kafkaServices(services).map((s) => s.name)];
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

export type AclResourceType = "Topic" | "Group" | "Cluster";
export type AclOperation = "Read" | "Write" | "Describe" | "All";

/** One ALLOW entry, literal resource pattern, from any host. */
export interface AclSpec {
  readonly user: string;
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly operation: AclOperation;
}

/** The one cluster resource name Kafka knows. */
export const clusterResource = "kafka-cluster";

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

/**
 * The admin's rights. MSK does not accept `super.users` in a custom configuration (it is not
 * among the properties MSK lets you set, and the brokers' own TLS principals are the only
 * super users), so `super.users=User:platform_admin` cannot be written into server.properties.
 * The documented substitute is what this grants: All on the cluster resource (create topics,
 * manage ACLs, alter configs) and All on every topic and group (the literal `*` wildcard), so
 * the admin can manage what it creates. It is the only principal with a cluster-level ACL.
 */
export function adminAcls(): AclSpec[] {
  return [
    { user: adminUser, resourceType: "Cluster", resourceName: clusterResource, operation: "All" },
    { user: adminUser, resourceType: "Topic", resourceName: "*", operation: "All" },
    { user: adminUser, resourceType: "Group", resourceName: "*", operation: "All" },
  ];
}

/** Every ACL of the cluster: the admin's, then each Kafka-using service's. */
export function planAcls(services: readonly RegisteredService[]): AclSpec[] {
  return [...adminAcls(), ...kafkaServices(services).flatMap(serviceAcls)];
}

/**
 * The brokers' server.properties (an MSK configuration). Topics are created only by the
 * admin through the Kafka provider, never implicitly; a resource without ACLs is closed.
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
