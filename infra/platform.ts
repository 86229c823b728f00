import { Cluster } from "../components/cluster/cluster.js";
import { Edge } from "../components/edge/edge.js";
import { Kafka } from "../components/kafka/kafka.js";
import { Network } from "../components/network/network.js";
import { Postgres } from "../components/postgres/postgres.js";
import { Redis } from "../components/redis/redis.js";
import { Search } from "../components/search/search.js";
import { WriteOnceStorage } from "../components/write-once/write-once.js";
import type { RegisteredService } from "../services/registry.js";
import { clusterName, commonTags, namePrefix, workloadNamespace } from "../stacks/naming.js";
import type { PlatformSpec } from "../stacks/schema.js";
import { declareObservability } from "./observability.js";
import { declareWorkloads } from "./workloads.js";

/**
 * Wires the platform's components from the stack spec and the service registry, and
 * returns the stack outputs. Every decision lives in a component or the spec; this file
 * only connects them.
 */
export function declarePlatform(
  spec: PlatformSpec,
  services: readonly RegisteredService[],
): Record<string, unknown> {
  const prefix = namePrefix(spec);
  const tags = commonTags(spec);
  const zones = spec.network.zones;

  const network = new Network(prefix, {
    region: spec.region,
    cidr: spec.network.cidr,
    zones,
    clusterName: clusterName(spec),
    flowLogRetentionDays: spec.network.flowLogRetentionDays,
    tags,
  });
  const privateSubnetIds = network.zones.map((z) => z.privateSubnet.id);
  const isolatedSubnetIds = network.zones.map((z) => z.isolatedSubnet.id);

  const cluster = new Cluster(prefix, {
    clusterName: clusterName(spec),
    kubernetesVersion: spec.cluster.kubernetesVersion,
    region: spec.region,
    zones,
    vpcId: network.vpc.id,
    privateSubnetIds,
    publicAccessCidrs: spec.cluster.publicAccessCidrs,
    nodes: spec.cluster.nodes,
    logRetentionDays: spec.cluster.logRetentionDays,
    namespace: workloadNamespace,
    tags,
  });

  // What every data store shares: three zones, the isolated subnets, reachable only from
  // the cluster, credentials delivered as Secrets into the workload namespace.
  const store = {
    zones,
    vpcId: network.vpc.id,
    subnetIds: isolatedSubnetIds,
    allowedSecurityGroupIds: [cluster.clusterSecurityGroupId],
    services,
    k8sProvider: cluster.provider,
    namespace: cluster.namespace,
    tags,
  };
  const postgres = new Postgres(`${prefix}-postgres`, {
    ...store,
    name: `${prefix}-postgres`,
    engineVersion: spec.postgres.engineVersion,
    instanceClass: spec.postgres.instanceClass,
    backupRetentionDays: spec.postgres.backupRetentionDays,
    deletionProtection: spec.postgres.deletionProtection ?? spec.environment === "prod",
  });
  const redis = new Redis(`${prefix}-redis`, {
    ...store,
    name: `${prefix}-redis`,
    engineVersion: spec.redis.engineVersion,
    nodeType: spec.redis.nodeType,
    snapshotRetentionDays: spec.redis.snapshotRetentionDays,
  });
  const search = new Search(`${prefix}-search`, {
    ...store,
    name: `${prefix}-search`,
    oidcProviderArn: cluster.oidcProvider.arn,
    oidcIssuerUrl: cluster.oidcIssuerUrl,
    ...spec.search,
  });
  // Brokers take the private subnets: they are clients' neighbours, not a database tier.
  const kafka = new Kafka(`${prefix}-kafka`, {
    ...store,
    subnetIds: privateSubnetIds,
    name: `${prefix}-kafka`,
    region: spec.region,
    ...spec.kafka,
  });

  // Audit's signed chain heads: S3 with Object Lock in compliance mode.
  const writeOnce = new WriteOnceStorage(`${prefix}-write-once`, {
    services,
    prefix,
    region: spec.region,
    irsa: cluster,
    namespace: cluster.namespace,
    k8sProvider: cluster.provider,
    tags,
  });

  const edge = new Edge(`${prefix}-edge`, {
    ...spec.edge,
    vpcId: network.vpc.id,
    vpcCidr: spec.network.cidr,
    publicSubnetIds: network.zones.map((z) => z.publicSubnet.id),
    zones,
    tags,
  });
  declareWorkloads({
    spec,
    services,
    cluster,
    edge,
    roles: { ...search.serviceRoleArns, ...writeOnce.serviceRoleArns },
    stores: { postgres, redis, search, kafka, writeOnce },
  });

  return {
    vpcId: network.vpc.id,
    clusterName: cluster.cluster.name,
    clusterEndpoint: cluster.cluster.endpoint,
    kubeconfig: cluster.kubeconfig,
    postgresEndpoint: postgres.endpoint,
    redisEndpoint: redis.primaryEndpoint,
    searchEndpoint: search.endpoint,
    kafkaBootstrapBrokers: kafka.bootstrapBrokers,
    /** Attach to the identity that runs `pulumi up`: IAM authorises it on MSK. */
    kafkaDeployerPolicy: kafka.adminPolicyJson,
    originLoadBalancer: edge.loadBalancer.dnsName,
    apiUrl: `https://${spec.edge.apiHost}`,
    /** otlpEndpoint, prometheusQueryUrl, grafanaUrl, apiLatencyDashboard, pagerdutyService. */
    ...declareObservability(spec, services, cluster),
  };
}
