import * as aws from "@pulumi/aws";
import * as kafka from "@pulumi/kafka";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type DataStoreArgs, validateDataStoreArgs } from "../shared/data-store.js";
import { createEncryptionKey } from "../shared/kms.js";
import { createLogGroup } from "../shared/log-group.js";
import { createServiceSecret } from "../shared/service-secret.js";
import { createStoreSecurityGroup } from "../shared/store-security-group.js";
import { tagged } from "../shared/tags.js";
import { invalid, requireWholeNumber } from "../shared/validation.js";
import {
  adminPolicy,
  consumerGroup,
  kafkaServices,
  planAcls,
  planTopics,
  principal,
  scramSecretName,
  scramUsers,
  serverProperties,
} from "./topology.js";

/**
 * Where the brokers run (three zones, one private subnet per zone: the brokers' client
 * subnets), who reaches them (`allowedSecurityGroupIds`, on 9096 and 9098 only) and where
 * the services' `<service>-kafka` Secrets go; topics, users and ACLs are derived from
 * `services`.
 */
export interface KafkaArgs extends DataStoreArgs {
  /** The MSK cluster name; it also names the SCRAM secrets (`AmazonMSK_<name>_<user>`). */
  readonly name: string;
  /** The AWS region of the cluster, e.g. "eu-west-1": the Kafka provider signs its SASL/IAM requests for it. */
  readonly region: string;
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
  /** Days broker logs are kept in CloudWatch (default 90). */
  readonly logRetentionDays?: number;
}

/** The SASL/SCRAM over TLS listener of MSK (https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html). */
export const scramPort = 9096;
/** The SASL/IAM over TLS listener of MSK (same page). */
export const iamPort = 9098;

const regionPattern = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function validateKafkaArgs(args: KafkaArgs): void {
  validateDataStoreArgs(args);
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(args.name))
    invalid("name", `expected letters, digits and hyphens, at most 64, got "${args.name}"`);
  if (!regionPattern.test(args.region))
    invalid("region", `expected an AWS region such as "eu-west-1", got "${args.region}"`);
  requireWholeNumber(args.brokersPerZone, "brokersPerZone", { min: 1 });
  requireWholeNumber(args.volumeSizeGiB, "volumeSizeGiB", { min: 1, max: 16384 });
  requireWholeNumber(args.partitions, "partitions", { min: 1 });
  requireWholeNumber(args.retentionHours, "retentionHours", { min: 1 });
}

/**
 * Amazon MSK over three zones for the services' events: TLS everywhere, SASL/SCRAM for the
 * services and SASL/IAM for the admin as the only ways in, encrypted at rest with its own
 * KMS key, and closed by default to SCRAM principals (no ACL, no access). Topics, SCRAM
 * users and ACLs are derived from the service registry; each service gets its credentials
 * as a Kubernetes Secret `<service>-kafka`.
 *
 * The admin is whoever runs `pulumi up`: the Kafka provider signs in over SASL/IAM with the
 * deployer's AWS credentials, and IAM authorizes it, not Kafka ACLs. That principal needs
 * the IAM rights of `adminPolicyJson` (at most `kafka-cluster:*` on this cluster) and must
 * reach the brokers on 9098 from inside the VPC (a runner in an allowed security group).
 */
export class Kafka extends pulumi.ComponentResource {
  static readonly type = "platform:data:Kafka";

  readonly cluster: aws.msk.Cluster;
  /** The SASL/SCRAM brokers (port 9096), what the services connect to. */
  readonly bootstrapBrokers: pulumi.Output<string>;
  /**
   * The least IAM policy (JSON) the deployer needs on this cluster, its topics and its
   * groups to run the Kafka provider over SASL/IAM: attach it to the role that runs `pulumi up`.
   */
  readonly adminPolicyJson: pulumi.Output<string>;
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

    this.kmsKey = createEncryptionKey(
      `${name}-kms`,
      { description: `MSK ${args.name}: broker storage at rest`, tags: args.tags },
      this,
    );
    // MSK reads SCRAM secrets only when they are encrypted with a customer-managed key.
    const secretsKey = createEncryptionKey(
      `${name}-secrets`,
      { description: `MSK ${args.name}: SCRAM credentials in Secrets Manager`, tags: args.tags },
      this,
    );

    // The brokers only answer: services on the SCRAM listener, the admin on the IAM one.
    this.securityGroup = createStoreSecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `MSK ${args.name} brokers: SASL/SCRAM and SASL/IAM over TLS from allowed groups only`,
        ports: [
          { port: scramPort, description: "Kafka clients: SASL/SCRAM over TLS" },
          { port: iamPort, description: "Kafka admin: SASL/IAM over TLS" },
        ],
        allowedSecurityGroupIds: args.allowedSecurityGroupIds,
        tags: args.tags,
      },
      this,
    );

    const logGroup = createLogGroup(
      `${name}-brokers`,
      {
        logGroupName: `/platform/msk/${args.name}/brokers`,
        retentionInDays: args.logRetentionDays ?? 90,
        tags: args.tags,
      },
      this,
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
          clientSubnets: [...args.subnetIds],
          securityGroups: [this.securityGroup.id],
          storageInfo: { ebsStorageInfo: { volumeSize: args.volumeSizeGiB } },
          connectivityInfo: { publicAccess: { type: "DISABLED" } },
        },
        // SCRAM for the services (authorized by ACLs), IAM for the admin (authorized by IAM).
        clientAuthentication: { sasl: { iam: true, scram: true }, unauthenticated: false },
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
    new aws.msk.ScramSecretAssociation(
      `${name}-scram`,
      { clusterArn: this.cluster.arn, secretArnLists: secrets.map((s) => s.secret.arn) },
      { parent: this, dependsOn: secrets.flatMap((s) => [s.version, s.policy]) },
    );

    // The admin is whoever runs `pulumi up`: the provider signs in over SASL/IAM with the
    // deployer's AWS credentials (the default chain: environment, profile, instance role).
    // The brokers refuse SCRAM principals everything without an ACL
    // (allow.everyone.if.no.acl.found=false) and MSK accepts no super.users, so no SCRAM user
    // could create the first ACL on this closed cluster; an IAM principal is authorized by its
    // IAM policy instead of ACLs, so it can, from the very first deployment. The deployer needs
    // `adminPolicyJson` (or kafka-cluster:* on this cluster) and a path to the brokers on 9098.
    this.adminPolicyJson = this.cluster.arn.apply(adminPolicy);
    const provider = new kafka.Provider(
      `${name}-admin`,
      {
        bootstrapServers: this.cluster.bootstrapBrokersSaslIam.apply((list) => list.split(",")),
        saslMechanism: "aws-iam",
        saslAwsRegion: args.region,
        tlsEnabled: true,
      },
      { parent: this },
    );

    for (const acl of planAcls(args.services)) {
      new kafka.Acl(
        `${name}-${acl.user}-${acl.operation.toLowerCase()}-${acl.resourceType.toLowerCase()}-${acl.resourceName}`,
        {
          aclPrincipal: principal(acl.user),
          aclHost: "*",
          aclOperation: acl.operation,
          aclPermissionType: "Allow",
          aclResourceType: acl.resourceType,
          aclResourceName: acl.resourceName,
          resourcePatternTypeFilter: "Literal",
        },
        { parent: this, provider },
      );
    }

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
        { parent: this, provider },
      );
    }
    this.topics = topics;

    const serviceSecrets: Record<string, k8s.core.v1.Secret> = {};
    for (const service of kafkaServices(args.services)) {
      const consumes = service.consumedTopics.length > 0;
      serviceSecrets[service.name] = createServiceSecret(
        `${name}-${service.name}-kafka`,
        {
          service: service.name,
          store: "kafka",
          secretName: `${service.name}-kafka`,
          namespace: args.namespace,
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
        this,
        args.k8sProvider,
      );
    }
    this.serviceSecrets = serviceSecrets;

    this.registerOutputs({
      clusterArn: this.cluster.arn,
      bootstrapBrokers: this.bootstrapBrokers,
      adminPolicyJson: this.adminPolicyJson,
      securityGroupId: this.securityGroup.id,
      kmsKeyArn: this.kmsKey.arn,
      topics: Object.keys(topics),
      serviceSecrets: Object.keys(serviceSecrets),
    });
  }
}
