import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RegisteredService } from "../../services/registry.js";
import { type DataStoreArgs, validateDataStoreArgs } from "../shared/data-store.js";
import { createEncryptionKey } from "../shared/kms.js";
import { createLogGroup } from "../shared/log-group.js";
import { createServiceSecret } from "../shared/service-secret.js";
import { createStoreSecurityGroup } from "../shared/store-security-group.js";
import { tagged } from "../shared/tags.js";
import { invalid, requireWholeNumber } from "../shared/validation.js";
import { redisNames, redisParameterGroupFamily, redisParameters, redisPort, redisUrl } from "./redis-plan.js";

/**
 * Where the replication group runs (three zones, the isolated subnets, one per zone), who
 * reaches it (`allowedSecurityGroupIds`, on 6379 only) and where its Secrets go: every
 * service whose `stores` include "redis" gets a Secret in `namespace`.
 */
export interface RedisArgs extends DataStoreArgs {
  /**
   * The physical name of the replication group (its id; the final snapshot adds `-final`),
   * e.g. "platform-prod-redis": lowercase letters, digits and single hyphens, starting
   * with a letter, at most 40 characters.
   */
  readonly name: string;
  /** The Redis OSS engine version, e.g. "7.1"; 6.x or newer. */
  readonly engineVersion: string;
  /** The node type of each of the three nodes, e.g. "cache.r7g.large". */
  readonly nodeType: string;
  /** Days daily snapshots are kept, 1 to 35 (default 7). */
  readonly snapshotRetentionDays?: number;
  /** The daily snapshot window in UTC (default "03:00-04:00"); must not overlap the maintenance window. */
  readonly snapshotWindow?: string;
  /** The weekly maintenance window in UTC (default "sun:05:00-sun:06:00"). */
  readonly maintenanceWindow?: string;
  /** Days the slow log is kept in CloudWatch (default 30). */
  readonly logRetentionDays?: number;
}

const defaults = {
  snapshotRetentionDays: 7,
  snapshotWindow: "03:00-04:00",
  maintenanceWindow: "sun:05:00-sun:06:00",
  logRetentionDays: 30,
} as const;

const identifierPattern = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

/** The services that declare the store "redis", in registry order. */
export function redisServices(services: readonly RegisteredService[]): RegisteredService[] {
  return services.filter((s) => s.stores.includes("redis"));
}

/** Validates the args and returns the parameter group family of the engine version. */
export function validateRedisArgs(args: RedisArgs): string {
  validateDataStoreArgs(args);
  if (!identifierPattern.test(args.name) || args.name.length > 40)
    invalid(
      "name",
      `"${args.name}" is not a replication group id: lowercase letters, digits and single hyphens, starting with a letter, at most 40 characters`,
    );
  const family = /^\d+\.\d+$/.test(args.engineVersion)
    ? redisParameterGroupFamily(args.engineVersion)
    : undefined;
  if (!family)
    invalid(
      "engineVersion",
      `expected a Redis OSS version 6.x or newer such as "7.1", got "${args.engineVersion}"`,
    );
  if (!args.nodeType.startsWith("cache."))
    invalid(
      "nodeType",
      `expected an ElastiCache node type such as "cache.r7g.large", got "${args.nodeType}"`,
    );
  requireWholeNumber(args.snapshotRetentionDays ?? defaults.snapshotRetentionDays, "snapshotRetentionDays", {
    min: 1,
    max: 35,
    unit: "days",
  });
  return family;
}

/**
 * Redis OSS on ElastiCache for the services that declare "redis": a primary and two
 * replicas, one in each zone of the isolated subnets, with automatic multi-AZ failover,
 * TLS required in transit, its own KMS key at rest, and an auth token. Each service gets a
 * Kubernetes Secret `<service>-redis` with the endpoint, the token and the key prefix it
 * must write under (`<service>:`).
 *
 * The services share one auth token: the prefix keeps their keys apart, it does not
 * enforce it.
 */
export class Redis extends pulumi.ComponentResource {
  static readonly type = "platform:data:Redis";

  readonly kmsKey: aws.kms.Key;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly replicationGroup: aws.elasticache.ReplicationGroup;
  /** The host of the primary node, which follows failover. */
  readonly primaryEndpoint: pulumi.Output<string>;
  /** The host balanced over the replicas. */
  readonly readerEndpoint: pulumi.Output<string>;
  /** The Kubernetes Secret of each service, by service name, e.g. `{ catalog: "catalog-redis" }`. */
  readonly secretNames: Readonly<Record<string, string>>;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    const family = validateRedisArgs(args);
    const services = redisServices(args.services);
    super(
      Redis.type,
      name,
      {
        name: args.name,
        zones: [...args.zones],
        engineVersion: args.engineVersion,
        nodeType: args.nodeType,
        services: services.map((s) => s.name),
      },
      opts,
    );
    const tags = (child: string) => tagged(args.tags, child);

    this.kmsKey = createEncryptionKey(
      `${name}-kms`,
      {
        description: `Encrypts the ElastiCache replication group ${args.name} at rest: nodes and snapshots`,
        alias: `alias/${args.name}`,
        tags: args.tags,
      },
      this,
    );
    this.securityGroup = createStoreSecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `ElastiCache Redis ${args.name}: ${redisPort} from the EKS cluster only`,
        ports: [{ port: redisPort, description: "Redis from the EKS cluster" }],
        allowedSecurityGroupIds: args.allowedSecurityGroupIds,
        tags: args.tags,
      },
      this,
    );

    const subnetGroup = new aws.elasticache.SubnetGroup(
      `${name}-subnets`,
      {
        name: args.name,
        description: `Isolated subnets of ${args.name}`,
        subnetIds: [...args.subnetIds],
        tags: tags(`${name}-subnets`),
      },
      { parent: this },
    );
    const parameterGroup = new aws.elasticache.ParameterGroup(
      `${name}-params`,
      {
        // The family is in the name, so a major upgrade creates the new group before it drops the old.
        name: `${args.name}-${family.replace(".", "-")}`,
        family,
        description: `Eviction and slow-log settings of ${args.name}`,
        parameters: redisParameters.map((p) => ({ ...p })),
        tags: tags(`${name}-params`),
      },
      { parent: this },
    );
    const slowLog = createLogGroup(
      `${name}-slow-log`,
      {
        logGroupName: `/platform/elasticache/${args.name}/slow-log`,
        retentionInDays: args.logRetentionDays ?? defaults.logRetentionDays,
        tags: args.tags,
      },
      this,
    );

    // ElastiCache accepts 16 to 128 printable characters except @, " and /: letters and
    // digits only (62^64, about 381 bits) keep the token safe in URLs too.
    const authToken = new random.RandomPassword(
      `${name}-auth-token`,
      { length: 64, special: false },
      { parent: this },
    );
    const secretToken = pulumi.secret(authToken.result);

    this.replicationGroup = new aws.elasticache.ReplicationGroup(
      name,
      {
        replicationGroupId: args.name,
        description: `Redis OSS of the platform services (${args.name})`,
        engine: "redis",
        engineVersion: args.engineVersion,
        nodeType: args.nodeType,
        port: redisPort,
        parameterGroupName: parameterGroup.name,
        subnetGroupName: subnetGroup.name,
        securityGroupIds: [this.securityGroup.id],
        // One node per zone, in zone order: the primary in the first, a replica in each other.
        numCacheClusters: args.zones.length,
        preferredCacheClusterAzs: [...args.zones],
        automaticFailoverEnabled: true,
        multiAzEnabled: true,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        authToken: secretToken,
        atRestEncryptionEnabled: true,
        kmsKeyId: this.kmsKey.arn,
        snapshotRetentionLimit: args.snapshotRetentionDays ?? defaults.snapshotRetentionDays,
        snapshotWindow: args.snapshotWindow ?? defaults.snapshotWindow,
        maintenanceWindow: args.maintenanceWindow ?? defaults.maintenanceWindow,
        finalSnapshotIdentifier: `${args.name}-final`,
        autoMinorVersionUpgrade: true,
        logDeliveryConfigurations: [
          {
            destination: slowLog.name,
            destinationType: "cloudwatch-logs",
            logFormat: "json",
            logType: "slow-log",
          },
        ],
        tags: tags(name),
      },
      { parent: this },
    );
    this.primaryEndpoint = this.replicationGroup.primaryEndpointAddress;
    this.readerEndpoint = this.replicationGroup.readerEndpointAddress;

    const secretNames: Record<string, string> = {};
    for (const service of services) {
      const names = redisNames(service.name);
      createServiceSecret(
        `${name}-${service.name}`,
        {
          service: service.name,
          store: "redis",
          secretName: names.secret,
          namespace: args.namespace,
          stringData: {
            host: this.primaryEndpoint,
            readerHost: this.readerEndpoint,
            port: String(redisPort),
            tls: "true",
            authToken: secretToken,
            url: pulumi.secret(
              pulumi
                .all([this.primaryEndpoint, secretToken])
                .apply(([host, token]) => redisUrl(host, redisPort, token)),
            ),
            keyPrefix: names.keyPrefix,
          },
        },
        this,
        args.k8sProvider,
      );
      secretNames[service.name] = names.secret;
    }
    this.secretNames = secretNames;

    this.registerOutputs({
      replicationGroupArn: this.replicationGroup.arn,
      primaryEndpoint: this.primaryEndpoint,
      readerEndpoint: this.readerEndpoint,
      securityGroupId: this.securityGroup.id,
      kmsKeyArn: this.kmsKey.arn,
      secretNames: this.secretNames,
    });
  }
}
