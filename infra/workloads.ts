import type * as pulumi from "@pulumi/pulumi";
import { Addons } from "../components/addons/addons.js";
import type { Cluster } from "../components/cluster/cluster.js";
import type { Edge } from "../components/edge/edge.js";
import { ImageRegistry } from "../components/microservice/image-registry.js";
import { Microservice } from "../components/microservice/microservice.js";
import { NamespaceBaseline } from "../components/microservice/namespace-baseline.js";
import { servedThroughIngress } from "../components/microservice/network-policy-rules.js";
import { ServiceIdentities } from "../components/microservice/service-identities.js";
import { planSubnets } from "../components/network/subnet-plan.js";
import type { RegisteredService } from "../services/registry.js";
import { clusterName, commonTags, namePrefix } from "../stacks/naming.js";
import type { PlatformSpec } from "../stacks/schema.js";

/** The components the workloads run on and connect to. */
export interface WorkloadsArgs {
  readonly spec: PlatformSpec;
  readonly services: readonly RegisteredService[];
  readonly cluster: Cluster;
  readonly edge: Edge;
  /** The IRSA role of each service that calls AWS APIs (OpenSearch, its write-once bucket), by name. */
  readonly roles: Readonly<Record<string, pulumi.Input<string>>>;
  /** The data store components, whose Secrets and ConfigMaps services read at start. */
  readonly stores: {
    readonly postgres: pulumi.Resource;
    readonly redis: pulumi.Resource;
    readonly search: pulumi.Resource;
    readonly kafka: pulumi.Resource;
    readonly writeOnce: pulumi.Resource;
  };
}

/** The one public HTTP service: the gateway, behind the ingress. */
export function publicHttpService(services: readonly RegisteredService[]): RegisteredService {
  const candidates = services.filter(servedThroughIngress);
  if (candidates.length !== 1)
    throw new Error(
      `expected exactly one public HTTP service behind the ingress, got ${candidates.map((s) => s.name).join(", ") || "none"}`,
    );
  return candidates[0]!;
}

/**
 * Declares the cluster add-ons, the image repositories, the namespace's default-deny policy,
 * the services' call keys and one Microservice per registered service.
 */
export function declareWorkloads(args: WorkloadsArgs) {
  const { spec, services, cluster, edge } = args;
  const prefix = namePrefix(spec);
  const tags = commonTags(spec);
  const gateway = publicHttpService(services);

  const addons = new Addons(`${prefix}-addons`, {
    clusterName: clusterName(spec),
    region: spec.region,
    kubernetesVersion: spec.cluster.kubernetesVersion,
    vpcId: cluster.vpcId,
    vpcCidr: spec.network.cidr,
    provider: cluster.provider,
    issuer: cluster,
    clusterSecurityGroupId: cluster.clusterSecurityGroupId,
    edge: {
      targetGroupArn: edge.targetGroup.arn,
      originSecurityGroupId: edge.originSecurityGroup.id,
      originCertificate: edge.originCertificate,
      originPrivateKey: edge.originPrivateKey,
      apiHost: spec.edge.apiHost,
    },
    gateway: { name: gateway.name, port: gateway.port, namespace: cluster.namespace },
    tags,
  });
  const registry = new ImageRegistry(`${prefix}-images`, {
    prefix,
    services: services.map((s) => s.name),
    tags,
  });
  const baseline = new NamespaceBaseline(`${prefix}-workloads`, {
    provider: cluster.provider,
    namespace: cluster.namespace,
  });
  const identities = new ServiceIdentities(`${prefix}-identities`, {
    services,
    provider: cluster.provider,
    namespace: cluster.namespace,
  });

  // The same layout the Network component builds its subnets from, as plain CIDRs.
  const layout = planSubnets(spec.network.cidr, spec.network.zones);
  const networks = { isolatedCidrs: layout.map((z) => z.isolated), kafkaCidrs: layout.map((z) => z.private) };
  const microservices = services.map((service) => {
    const stores = [
      ...(service.stores.includes("postgres") ? [args.stores.postgres] : []),
      ...(service.stores.includes("redis") ? [args.stores.redis] : []),
      ...(service.stores.includes("opensearch") ? [args.stores.search] : []),
      ...(service.topic !== undefined || service.consumedTopics.length > 0 ? [args.stores.kafka] : []),
      ...(service.stores.includes("write-once") ? [args.stores.writeOnce] : []),
    ];
    const roleArn = args.roles[service.name];
    return new Microservice(
      `${prefix}-${service.name}`,
      {
        service,
        services,
        provider: cluster.provider,
        namespace: cluster.namespace,
        repositoryUrl: registry.repositories[service.name]!.repositoryUrl,
        version: spec.release.version,
        networks,
        controllers: { rollouts: addons.releases.argoRollouts, keda: addons.releases.keda },
        ...(roleArn !== undefined ? { roleArn } : {}),
      },
      { dependsOn: [baseline, identities, ...stores] },
    );
  });
  return { addons, registry, baseline, identities, microservices };
}
