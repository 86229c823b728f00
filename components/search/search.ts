import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegisteredService } from "../../services/registry.js";
import { createServiceAccountRole } from "../cluster/irsa.js";
import { type DataStoreArgs, validateDataStoreArgs } from "../shared/data-store.js";
import { createEncryptionKey } from "../shared/kms.js";
import { createLogGroup } from "../shared/log-group.js";
import { serviceStoreLabels } from "../shared/service-secret.js";
import { createStoreSecurityGroup } from "../shared/store-security-group.js";
import { tagged } from "../shared/tags.js";
import { invalid, requireWholeNumber } from "../shared/validation.js";
import {
  configMapName,
  domainAccessPolicy,
  domainArn,
  logDeliveryPolicy,
  opensearchPort,
  publishedLogTypes,
  serviceRolePolicy,
  tlsSecurityPolicy,
} from "./search-plan.js";

/**
 * Where the domain runs (three zones, the isolated subnets, one per zone), who reaches it
 * (`allowedSecurityGroupIds`, on 443 only) and the one service that uses it: exactly one
 * service may declare "opensearch"; its ConfigMap and service account live in `namespace`.
 */
export interface SearchArgs extends DataStoreArgs {
  /**
   * The domain name, e.g. "platform-prod-search": 3 to 28 lowercase letters, digits and
   * hyphens, starting with a letter.
   */
  readonly name: string;
  /** The ARN of the EKS cluster's IAM OIDC provider, which the service's IRSA role trusts. */
  readonly oidcProviderArn: pulumi.Input<string>;
  /** The EKS cluster's OIDC issuer, host and path without `https://`. */
  readonly oidcIssuerUrl: pulumi.Input<string>;
  /** The engine, e.g. "OpenSearch_2.19". */
  readonly engineVersion: string;
  /** The data node type, e.g. "r7g.large.search". */
  readonly dataNodeType: string;
  /** Data nodes in each zone; the domain has three times as many. */
  readonly dataNodesPerZone: number;
  /** The type of the three dedicated master nodes, e.g. "m7g.large.search". */
  readonly masterNodeType: string;
  /** The gp3 EBS volume of each data node, in GiB. */
  readonly volumeSizeGiB: number;
  /** Days the domain's logs are kept in CloudWatch (default 30). */
  readonly logRetentionDays?: number;
}

const defaults = { logRetentionDays: 30 } as const;

/** The services that declare the store "opensearch", in registry order. */
export function searchServices(services: readonly RegisteredService[]): RegisteredService[] {
  return services.filter((s) => s.stores.includes("opensearch"));
}

/** Validates the args and returns the one service that uses the domain. */
export function validateSearchArgs(args: SearchArgs): RegisteredService {
  validateDataStoreArgs(args);
  if (!/^[a-z][a-z0-9-]{2,27}$/.test(args.name))
    invalid(
      "name",
      `"${args.name}" is not a domain name: 3 to 28 lowercase letters, digits and hyphens, starting with a letter`,
    );
  if (!/^OpenSearch_\d+\.\d+$/.test(args.engineVersion))
    invalid(
      "engineVersion",
      `expected an OpenSearch engine such as "OpenSearch_2.19", got "${args.engineVersion}"`,
    );
  for (const [path, type] of [
    ["dataNodeType", args.dataNodeType],
    ["masterNodeType", args.masterNodeType],
  ] as const) {
    if (!type.endsWith(".search"))
      invalid(path, `expected an OpenSearch instance type such as "r7g.large.search", got "${type}"`);
  }
  requireWholeNumber(args.dataNodesPerZone, "dataNodesPerZone", { min: 1, unit: "nodes" });
  requireWholeNumber(args.volumeSizeGiB, "volumeSizeGiB", { min: 10, unit: "GiB" });
  const users = searchServices(args.services);
  if (users.length !== 1) {
    invalid(
      "services",
      `expected exactly one service to declare "opensearch", got ${users.length}` +
        (users.length > 0 ? ` (${users.map((s) => s.name).join(", ")})` : "") +
        ": fine-grained access control maps a single IAM role to the master user, and without the" +
        " internal user database the security plugin's API is not used to map any other role," +
        " so the domain can serve exactly one service",
    );
  }
  return users[0]!;
}

/**
 * An OpenSearch domain in the VPC for the one service that declares "opensearch": data
 * nodes spread evenly over three zones with zone awareness, three dedicated masters, gp3
 * volumes, its own KMS key at rest, TLS between nodes and HTTPS-only (TLS 1.2 with PFS) at
 * the endpoint, and fine-grained access control whose master user is the service's IRSA
 * role. The service signs requests with SigV4, so it gets no credentials: a ConfigMap
 * `<service>-opensearch` tells it the endpoint and region, and `serviceRoleArns` the role
 * its service account (`<namespace>/<service>`) must be annotated with.
 */
export class Search extends pulumi.ComponentResource {
  static readonly type = "platform:data:Search";

  readonly kmsKey: aws.kms.Key;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly domain: aws.opensearch.Domain;
  /** The domain's HTTPS URL, e.g. `https://vpc-platform-prod-search-….eu-west-1.es.amazonaws.com`. */
  readonly endpoint: pulumi.Output<string>;
  /** The IRSA role ARN of each service using the domain, by service name. */
  readonly serviceRoleArns: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: SearchArgs, opts?: pulumi.ComponentResourceOptions) {
    const service = validateSearchArgs(args);
    super(
      Search.type,
      name,
      {
        name: args.name,
        zones: [...args.zones],
        engineVersion: args.engineVersion,
        service: service.name,
      },
      opts,
    );
    const tags = (child: string) => tagged(args.tags, child);
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const arn = pulumi
      .all([partition, region, account.accountId])
      .apply(([p, r, a]) => domainArn(p, r, a, args.name));

    this.kmsKey = createEncryptionKey(
      `${name}-kms`,
      {
        description: `Encrypts the OpenSearch domain ${args.name} at rest: indices, swap files and automated snapshots`,
        alias: `alias/${args.name}`,
        tags: args.tags,
      },
      this,
    );
    // The domain initiates no connections into the VPC: the group has no egress rule.
    this.securityGroup = createStoreSecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `OpenSearch ${args.name}: HTTPS from the EKS cluster only`,
        ports: [{ port: opensearchPort, description: "OpenSearch HTTPS from the EKS cluster" }],
        allowedSecurityGroupIds: args.allowedSecurityGroupIds,
        tags: args.tags,
      },
      this,
    );

    // The service's IRSA role: the master user of fine-grained access control, and the only
    // principal of the domain's access policy.
    const role = createServiceAccountRole(
      `${name}-${service.name}`,
      {
        issuer: { oidcProvider: { arn: args.oidcProviderArn }, oidcIssuerUrl: args.oidcIssuerUrl },
        namespace: args.namespace,
        serviceAccount: service.name,
        inlinePolicy: arn.apply(serviceRolePolicy),
        tags: args.tags,
      },
      this,
    );

    const logGroup = createLogGroup(
      `${name}-logs`,
      {
        logGroupName: `/platform/opensearch/${args.name}`,
        retentionInDays: args.logRetentionDays ?? defaults.logRetentionDays,
        tags: args.tags,
      },
      this,
    );
    const logPolicy = new aws.cloudwatch.LogResourcePolicy(
      `${name}-logs`,
      {
        policyName: `${args.name}-opensearch-logs`,
        policyDocument: pulumi
          .all([logGroup.arn, arn, account.accountId])
          .apply(([groupArn, domain, accountId]) => logDeliveryPolicy(groupArn, domain, accountId)),
      },
      { parent: this },
    );

    const zoneCount = args.zones.length;
    this.domain = new aws.opensearch.Domain(
      name,
      {
        domainName: args.name,
        engineVersion: args.engineVersion,
        clusterConfig: {
          instanceType: args.dataNodeType,
          instanceCount: args.dataNodesPerZone * zoneCount,
          zoneAwarenessEnabled: true,
          zoneAwarenessConfig: { availabilityZoneCount: zoneCount },
          dedicatedMasterEnabled: true,
          dedicatedMasterCount: 3,
          dedicatedMasterType: args.masterNodeType,
        },
        ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: args.volumeSizeGiB },
        vpcOptions: { subnetIds: [...args.subnetIds], securityGroupIds: [this.securityGroup.id] },
        encryptAtRest: { enabled: true, kmsKeyId: this.kmsKey.arn },
        nodeToNodeEncryption: { enabled: true },
        domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy },
        advancedSecurityOptions: {
          enabled: true,
          anonymousAuthEnabled: false,
          internalUserDatabaseEnabled: false,
          masterUserOptions: { masterUserArn: role.arn },
        },
        accessPolicies: pulumi
          .all([arn, role.arn])
          .apply(([domain, roleArn]) => domainAccessPolicy(domain, roleArn)),
        logPublishingOptions: publishedLogTypes.map((logType) => ({
          logType,
          cloudwatchLogGroupArn: logGroup.arn,
          enabled: true,
        })),
        tags: tags(name),
      },
      { parent: this, dependsOn: [logPolicy] },
    );
    this.endpoint = pulumi.interpolate`https://${this.domain.endpoint}`;

    new k8s.core.v1.ConfigMap(
      `${name}-${service.name}`,
      {
        metadata: {
          name: configMapName(service.name),
          namespace: args.namespace,
          labels: serviceStoreLabels(service.name, "opensearch"),
        },
        data: { endpoint: this.endpoint, region },
      },
      { parent: this, provider: args.k8sProvider },
    );
    this.serviceRoleArns = { [service.name]: role.arn };

    this.registerOutputs({
      domainArn: this.domain.arn,
      endpoint: this.endpoint,
      securityGroupId: this.securityGroup.id,
      kmsKeyArn: this.kmsKey.arn,
      serviceRoleArns: this.serviceRoleArns,
    });
  }
}
