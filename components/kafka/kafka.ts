import * as aws from "@pulumi/aws";
import * as kafka from "@pulumi/kafka";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RegisteredService } from "../../services/registry.js";
import { type Tags, tagged } from "../shared/tags.js";
import { invalid, requireOnePerZone, requireThreeZones } from "../shared/validation.js";
import {
  adminUser,
  consumerGroup,
  kafkaServices,
  planAcls,
  planTopics,
  principal,
  scramSecretName,
  scramUsers,
  serverProperties,
} from "./topology.js";

export interface KafkaArgs {
  /** The MSK cluster name; it also names the SCRAM secrets (`AmazonMSK_<name>_<user>`). */
  readonly name: string;
  /** The MSK Kafka version, e.g. "3.8.x" (https://docs.aws.amazon.com/msk/latest/developerguide/supported-kafka-versions.html). */
  readonly kafkaVersion: string;
  /** The broker instance type, e.g. "kafka.m7g.large". */
  readonly brokerInstanceType: string;
  /** Brokers in each of the three zones; the cluster has three times as many. */
  readonly brokersPerZone: number;
  /** The EBS data volume of each broker, in GiB (1 to 16384). */
  readonly volumeSizeGiB: number;
  /** Partitions of each topic. */
  readonly partitions: number;
  /** Hours events are kept, on the brokers' default and on every topic. */
  readonly retentionHours: number;
  /** Exactly three availability zones. */
  readonly zones: readonly string[];
  /** The VPC the brokers' security group lives in. */
  readonly vpcId: pulumi.Input<string>;
  /** One private subnet per zone, in zone order: the brokers' client subnets. */
  readonly subnetIds: pulumi.Input<string>[];
  /** Security groups whose members may reach the brokers on 9096 (SASL/SCRAM over TLS). */
  readonly allowedSecurityGroupIds: pulumi.Input<string>[];
  /** The resolved service registry: topics, users and ACLs are derived from it. */
  readonly services: readonly RegisteredService[];
  /** The cluster's Kubernetes provider: each service's `<service>-kafka` Secret goes there. */
  readonly k8sProvider: k8s.Provider;
  /** The namespace of the services' Secrets. */
  readonly namespace: pulumi.Input<string>;
  /** Days broker logs are kept in CloudWatch (default 90). */
  readonly logRetentionDays?: number;
  /** Tags for every taggable child. */
  readonly tags: Tags;
}

/** The SASL/SCRAM over TLS listener of MSK (https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html). */
export const scramPort = 9096;

const positiveInteger = (value: number, path: string, max = Number.MAX_SAFE_INTEGER) => {
  if (!Number.isInteger(value) || value < 1 || value > max)
    invalid(path, `expected an integer from 1 to ${max}, got ${value}`);
};

export function validateKafkaArgs(args: KafkaArgs): void {
  requireThreeZones(args.zones);
  requireOnePerZone(args.subnetIds, args.zones, "subnetIds");
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(args.name))
    invalid("name", `expected letters, digits and hyphens, at most 64, got "${args.name}"`);
  positiveInteger(args.brokersPerZone, "brokersPerZone");
  positiveInteger(args.volumeSizeGiB, "volumeSizeGiB", 16384);
  positiveInteger(args.partitions, "partitions");
  positiveInteger(args.retentionHours, "retentionHours");
  if (args.allowedSecurityGroupIds.length === 0)
    invalid(
      "allowedSecurityGroupIds",
      "expected at least one security group; no client could reach the brokers",
    );
}

/**
 * Amazon MSK over three zones for the services' events: TLS everywhere, SASL/SCRAM as the
 * only way in, encrypted at rest with its own KMS key, and closed by default (no ACL, no
 * access). Topics, SCRAM users and ACLs are derived from the service registry and managed
 * through the Kafka provider as the admin user; each service gets its credentials as a
 * Kubernetes Secret `<service>-kafka`.
 */
export class Kafka extends pulumi.ComponentResource {
  static readonly type = "platform:data:Kafka";

  readonly cluster: aws.msk.Cluster;
  readonly bootstrapBrokers: pulumi.Output<string>;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly kmsKey: aws.kms.Key;
  readonly topics: Readonly<Record<string, kafka.Topic>>;
  /** Each Kafka-using service's `<service>-kafka` Secret, by service name. */
  readonly serviceSecrets: Readonly<Record<string, k8s.core.v1.Secret>>;

  constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    validateKafkaArgs(args);
    super(
      Kafka.type,
      name,
      { clusterName: args.name, kafkaVersion: args.kafkaVersion, brokersPerZone: args.brokersPerZone },
      opts,
    );
    const parent = { parent: this };

    this.kmsKey = new aws.kms.Key(
      `${name}-data`,
      {
        description: `MSK ${args.name}: broker storage at rest`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags: tagged(args.tags, `${name}-data`),
      },
      parent,
    );
    // MSK reads SCRAM secrets only when they are encrypted with a customer-managed key.
    const secretsKey = new aws.kms.Key(
      `${name}-secrets`,
      {
        description: `MSK ${args.name}: SCRAM credentials in Secrets Manager`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags: tagged(args.tags, `${name}-secrets`),
      },
      parent,
    );

    // No inline rules and no egress: the brokers only answer; each source gets its own rule.
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-brokers`,
      {
        vpcId: args.vpcId,
        description: `MSK ${args.name} brokers: SASL/SCRAM over TLS from allowed groups only`,
        tags: tagged(args.tags, `${name}-brokers`),
      },
      parent,
    );
    args.allowedSecurityGroupIds.forEach((source, i) => {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-brokers-from-${i}`,
        {
          securityGroupId: this.securityGroup.id,
          referencedSecurityGroupId: source,
          ipProtocol: "tcp",
          fromPort: scramPort,
          toPort: scramPort,
          description: "Kafka clients: SASL/SCRAM over TLS",
          tags: tagged(args.tags, `${name}-brokers-from-${i}`),
        },
        parent,
      );
    });

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-brokers`,
      {
        name: `/platform/msk/${args.name}/brokers`,
        retentionInDays: args.logRetentionDays ?? 90,
        tags: tagged(args.tags, `${name}-brokers`),
      },
      parent,
    );
    const configuration = new aws.msk.Configuration(
      `${name}-config`,
      {
        name: args.name,
        description: `Broker defaults of ${args.name}: no implicit topics, RF 3, closed without ACLs`,
        kafkaVersions: [args.kafkaVersion],
        serverProperties: serverProperties({ retentionHours: args.retentionHours }),
      },
      parent,
    );

    this.cluster = new aws.msk.Cluster(
      name,
      {
        clusterName: args.name,
        kafkaVersion: args.kafkaVersion,
        numberOfBrokerNodes: args.brokersPerZone * args.zones.length,
        brokerNodeGroupInfo: {
          instanceType: args.brokerInstanceType,
          clientSubnets: args.subnetIds,
          securityGroups: [this.securityGroup.id],
          storageInfo: { ebsStorageInfo: { volumeSize: args.volumeSizeGiB } },
          connectivityInfo: { publicAccess: { type: "DISABLED" } },
        },
        clientAuthentication: { sasl: { scram: true, iam: false }, unauthenticated: false },
        encryptionInfo: {
          encryptionAtRestKmsKeyArn: this.kmsKey.arn,
          encryptionInTransit: { clientBroker: "TLS", inCluster: true },
        },
        configurationInfo: { arn: configuration.arn, revision: configuration.latestRevision },
        loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: logGroup.name } } },
        // Prometheus exporters on every broker (JMX on 11001, node on 11002): consumer lag and disks.
        openMonitoring: {
          prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } },
        },
        tags: tagged(args.tags, name),
      },
      parent,
    );
    this.bootstrapBrokers = this.cluster.bootstrapBrokersSaslScram;

    // One SCRAM user per principal: a random password in a KMS-encrypted secret MSK can read.
    const passwords = new Map<string, pulumi.Output<string>>();
    const secrets = scramUsers(args.services).map((user) => {
      const password = new random.RandomPassword(`${name}-${user}`, { length: 32, special: false }, parent);
      passwords.set(user, pulumi.secret(password.result));
      const secret = new aws.secretsmanager.Secret(
        `${name}-${user}`,
        {
          name: scramSecretName(args.name, user),
          description: `SASL/SCRAM credentials of ${user} on MSK ${args.name}`,
          kmsKeyId: secretsKey.arn,
          tags: tagged(args.tags, `${name}-${user}`),
        },
        parent,
      );
      const version = new aws.secretsmanager.SecretVersion(
        `${name}-${user}`,
        {
          secretId: secret.id,
          secretString: pulumi.secret(pulumi.jsonStringify({ username: user, password: password.result })),
        },
        parent,
      );
      // MSK attaches this policy itself on association; declaring it keeps the state free of drift.
      const policy = new aws.secretsmanager.SecretPolicy(
        `${name}-${user}`,
        {
          secretArn: secret.arn,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AWSKafkaResourcePolicy",
                Effect: "Allow",
                Principal: { Service: "kafka.amazonaws.com" },
                Action: "secretsmanager:getSecretValue",
                Resource: secret.arn,
              },
            ],
          }),
        },
        parent,
      );
      return { secret, version, policy };
    });
    // Exclusive: SCRAM secrets associated outside this program are removed on the next update.
    const association = new aws.msk.ScramSecretAssociation(
      `${name}-scram`,
      { clusterArn: this.cluster.arn, secretArnLists: secrets.map((s) => s.secret.arn) },
      { parent: this, dependsOn: secrets.flatMap((s) => [s.version, s.policy]) },
    );

    const provider = new kafka.Provider(
      `${name}-admin`,
      {
        bootstrapServers: this.bootstrapBrokers.apply((list) => list.split(",")),
        saslMechanism: "scram-sha512",
        saslUsername: adminUser,
        saslPassword: passwords.get(adminUser)!,
        tlsEnabled: true,
      },
      { parent: this, dependsOn: [association] },
    );

    // The brokers refuse everything without an ACL (allow.everyone.if.no.acl.found=false), and
    // MSK has no super.users: the admin's own ACLs come first, everything else after them.
    // Caveat: creating an ACL needs Alter on the cluster, which nobody but the brokers holds on a
    // brand-new cluster closed this way; the very first deployment must run with that property
    // true (so the admin can grant itself), then switch it to false.
    const acls = planAcls(args.services);
    const aclResource = (acl: (typeof acls)[number], dependsOn: pulumi.Resource[]) =>
      new kafka.Acl(
        `${name}-${acl.user}-${acl.operation.toLowerCase()}-${acl.resourceType.toLowerCase()}-${acl.resourceName === "*" ? "any" : acl.resourceName}`,
        {
          aclPrincipal: principal(acl.user),
          aclHost: "*",
          aclOperation: acl.operation,
          aclPermissionType: "Allow",
          aclResourceType: acl.resourceType,
          aclResourceName: acl.resourceName,
          resourcePatternTypeFilter: "Literal",
        },
        { parent: this, provider, dependsOn },
      );
    const adminAcls = acls.filter((a) => a.user === adminUser).map((a) => aclResource(a, []));
    for (const acl of acls.filter((a) => a.user !== adminUser)) aclResource(acl, adminAcls);

    const topics: Record<string, kafka.Topic> = {};
    for (const topic of planTopics(args.services, args)) {
      topics[topic.name] = new kafka.Topic(
        `${name}-${topic.name}`,
        {
          name: topic.name,
          partitions: topic.partitions,
          replicationFactor: topic.replicationFactor,
          config: { ...topic.config },
        },
        { parent: this, provider, dependsOn: adminAcls },
      );
    }
    this.topics = topics;

    const serviceSecrets: Record<string, k8s.core.v1.Secret> = {};
    for (const service of kafkaServices(args.services)) {
      const consumes = service.consumedTopics.length > 0;
      serviceSecrets[service.name] = new k8s.core.v1.Secret(
        `${name}-${service.name}-kafka`,
        {
          metadata: {
            name: `${service.name}-kafka`,
            namespace: args.namespace,
            labels: { "app.kubernetes.io/name": service.name, "app.kubernetes.io/managed-by": "pulumi" },
          },
          type: "Opaque",
          stringData: {
            brokers: this.bootstrapBrokers,
            username: service.name,
            password: passwords.get(service.name)!,
            mechanism: "SCRAM-SHA-512",
            clientId: service.name,
            // Only a consumer has a group it may use; a publisher gets none.
            ...(consumes ? { consumerGroup: consumerGroup(service) } : {}),
          },
        },
        { provider: args.k8sProvider, parent: this },
      );
    }
    this.serviceSecrets = serviceSecrets;

    this.registerOutputs({
      clusterArn: this.cluster.arn,
      bootstrapBrokers: this.bootstrapBrokers,
      securityGroupId: this.securityGroup.id,
      kmsKeyArn: this.kmsKey.arn,
      topics: Object.keys(topics),
      serviceSecrets: Object.keys(serviceSecrets),
    });
  }
}
