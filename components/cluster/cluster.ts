import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { workloadNamespace } from "../../stacks/naming.js";
import { createEncryptionKey } from "../shared/kms.js";
import { createLogGroup } from "../shared/log-group.js";
import { type Tags, tagged } from "../shared/tags.js";
import { invalid, requireNamespaceName, requireOnePerZone, requireThreeZones } from "../shared/validation.js";
import {
  type AddonPlan,
  addons,
  amiTypeFor,
  controlPlaneLogGroupName,
  controlPlaneLogTypes,
  nodeLabels,
  podSecurityLabels,
  requireClusterName,
  requireKubernetesVersion,
  requireLogRetention,
  requireNodeScaling,
  requirePublicAccessCidrs,
  serviceTrustPolicy,
} from "./cluster-plan.js";
import { createServiceAccountRole, issuerHostPath } from "./irsa.js";
import { kubeconfig } from "./kubeconfig.js";

/** The nodes of each zone's managed node group. */
export interface ClusterNodesArgs {
  /**
   * EC2 instance types the node group may launch, e.g. `["m7i.xlarge", "m6i.xlarge"]`; all of
   * one architecture (the AL2023 AMI follows it: Graviton types get the arm64 AMI).
   */
  readonly instanceTypes: readonly string[];
  /** The fewest nodes in each zone. */
  readonly minPerZone: number;
  /** The nodes each zone starts with; an autoscaler owns it afterwards (changes are ignored). */
  readonly desiredPerZone: number;
  /** The most nodes in each zone. */
  readonly maxPerZone: number;
  /** The encrypted gp3 root volume of each node, in GiB, at least 20 (the spec defaults it to 100). */
  readonly diskSizeGiB: number;
}

export interface ClusterArgs {
  /** The EKS cluster's name; the network tags its subnets for it. */
  readonly clusterName: string;
  /** The Kubernetes minor version of the control plane and nodes, e.g. "1.33". */
  readonly kubernetesVersion: string;
  /** The AWS region of the cluster, for `aws eks get-token`. */
  readonly region: string;
  /** Exactly three availability zones of `region`; each gets its own node group. */
  readonly zones: readonly string[];
  /** The VPC the cluster runs in. */
  readonly vpcId: pulumi.Input<string>;
  /** One private subnet per zone, in the order of `zones`: nodes and control-plane ENIs go there. */
  readonly privateSubnetIds: readonly pulumi.Input<string>[];
  /**
   * The only networks that reach the public API endpoint (never 0.0.0.0/0); inside the VPC
   * the private endpoint answers. See
   * https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
   */
  readonly publicAccessCidrs: readonly string[];
  /** Node group sizing, per zone. */
  readonly nodes: ClusterNodesArgs;
  /** Days control-plane logs are kept: one of the periods CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ...). */
  readonly logRetentionDays: number;
  /** The workload namespace, created under Pod Security `restricted`. Default: "platform". */
  readonly namespace?: string;
  /** Tags for every taggable child. */
  readonly tags: Tags;
}

export function validateClusterArgs(args: ClusterArgs): void {
  requireClusterName(args.clusterName);
  requireKubernetesVersion(args.kubernetesVersion);
  requireThreeZones(args.zones);
  args.zones.forEach((zone, i) => {
    if (!zone.startsWith(args.region))
      invalid(`zones[${i}]`, `zone "${zone}" is not in region ${args.region}`);
  });
  requireOnePerZone(args.privateSubnetIds, args.zones, "privateSubnetIds");
  const plainSubnets = args.privateSubnetIds.filter((id) => typeof id === "string");
  if (new Set(plainSubnets).size !== plainSubnets.length) {
    invalid("privateSubnetIds", "expected a distinct subnet for each zone");
  }
  requirePublicAccessCidrs(args.publicAccessCidrs);
  requireNodeScaling(args.nodes);
  requireLogRetention(args.logRetentionDays);
  requireNamespaceName(args.namespace ?? workloadNamespace);
}

/**
 * An EKS cluster built from plain resources: secrets envelope-encrypted with its own KMS
 * key, every control-plane log kept, the public endpoint open only to listed networks,
 * access through access entries (no aws-auth ConfigMap), one managed node group per zone
 * so that scaling and capacity are zone-aware, IRSA for the add-ons, and a Kubernetes
 * provider plus a `restricted` workload namespace for everything placed on it.
 */
export class Cluster extends pulumi.ComponentResource {
  static readonly type = "platform:cluster:Cluster";

  readonly cluster: aws.eks.Cluster;
  /** The Kubernetes provider for everything placed on the cluster. */
  readonly provider: k8s.Provider;
  readonly oidcProvider: aws.iam.OpenIdConnectProvider;
  /** The OIDC issuer without `https://`, as IAM condition keys spell it. */
  readonly oidcIssuerUrl: pulumi.Output<string>;
  /** The security group EKS puts on the control plane and on every node: data stores admit it. */
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  /** The workload namespace's name. */
  readonly namespace: pulumi.Output<string>;
  readonly workloadNamespace: k8s.core.v1.Namespace;
  /** The key envelope-encrypting Kubernetes Secrets in etcd. */
  readonly kmsKey: aws.kms.Key;
  /** One node group per zone, in the order of `zones`. */
  readonly nodeGroups: readonly aws.eks.NodeGroup[];
  /** The managed add-ons, by add-on name. */
  readonly addons: Readonly<Record<string, aws.eks.Addon>>;
  /**
   * The cluster's VPC, for controllers that cannot read it from IMDS because nodes keep the
   * IMDS hop limit at 1 (e.g. the AWS Load Balancer Controller's `vpcId`).
   */
  readonly vpcId: pulumi.Output<string>;
  /** A kubeconfig for the cluster (secret; it holds no credential but names the endpoint). */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    validateClusterArgs(args);
    super(
      Cluster.type,
      name,
      { clusterName: args.clusterName, kubernetesVersion: args.kubernetesVersion, zones: [...args.zones] },
      opts,
    );
    const namespace = args.namespace ?? workloadNamespace;
    this.vpcId = pulumi.output(args.vpcId);

    // Secrets encryption: a key of its own, so its policy and rotation concern only this cluster.
    this.kmsKey = createEncryptionKey(
      `${name}-secrets`,
      {
        description: `Envelope encryption of Kubernetes Secrets of EKS cluster ${args.clusterName}`,
        alias: `alias/${args.clusterName}-eks-secrets`,
        tags: args.tags,
      },
      this,
    );

    // EKS writes to this fixed name; created first so that it never creates one without retention.
    const logGroup = createLogGroup(
      `${name}-control-plane`,
      {
        logGroupName: controlPlaneLogGroupName(args.clusterName),
        retentionInDays: args.logRetentionDays,
        tags: args.tags,
      },
      this,
    );

    const clusterRole = new aws.iam.Role(
      `${name}-cluster`,
      {
        assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com"),
        tags: tagged(args.tags, `${name}-cluster`),
      },
      { parent: this },
    );
    // The cluster depends on the attachment so that, on delete, the role keeps its policy
    // until EKS has cleaned up the ENIs it manages.
    const clusterPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-cluster`,
      { role: clusterRole.id, policyArn: aws.iam.ManagedPolicy.AmazonEKSClusterPolicy },
      { parent: this },
    );

    this.cluster = new aws.eks.Cluster(
      name,
      {
        name: args.clusterName,
        version: args.kubernetesVersion,
        roleArn: clusterRole.arn,
        vpcConfig: {
          subnetIds: [...args.privateSubnetIds],
          endpointPrivateAccess: true,
          endpointPublicAccess: true,
          publicAccessCidrs: [...args.publicAccessCidrs],
        },
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
        encryptionConfig: { provider: { keyArn: this.kmsKey.arn }, resources: ["secrets"] },
        enabledClusterLogTypes: [...controlPlaneLogTypes],
        // vpc-cni, kube-proxy and coredns are managed add-ons below, not unmanaged defaults.
        bootstrapSelfManagedAddons: false,
        tags: tagged(args.tags, name),
      },
      { parent: this, dependsOn: [logGroup, clusterPolicy] },
    );
    this.clusterSecurityGroupId = this.cluster.vpcConfig.apply((vpc) => vpc.clusterSecurityGroupId);

    const issuerUrl = this.cluster.identities.apply((identities) => {
      const issuer = identities[0]?.oidcs?.[0]?.issuer;
      if (!issuer) throw new Error(`EKS cluster ${args.clusterName} reports no OIDC issuer`);
      return issuer;
    });
    this.oidcIssuerUrl = issuerUrl.apply(issuerHostPath);
    this.oidcProvider = new aws.iam.OpenIdConnectProvider(
      `${name}-oidc`,
      { url: issuerUrl, clientIdLists: ["sts.amazonaws.com"], tags: tagged(args.tags, `${name}-oidc`) },
      { parent: this },
    );

    // Nodes: the role carries no CNI policy; vpc-cni gets it through its own IRSA role.
    const nodeRole = new aws.iam.Role(
      `${name}-node`,
      { assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"), tags: tagged(args.tags, `${name}-node`) },
      { parent: this },
    );
    const nodePolicies = {
      worker: aws.iam.ManagedPolicy.AmazonEKSWorkerNodePolicy,
      ecr: aws.iam.ManagedPolicy.AmazonEC2ContainerRegistryReadOnly,
      ssm: aws.iam.ManagedPolicy.AmazonSSMManagedInstanceCore,
    };
    const nodePolicyAttachments = Object.entries(nodePolicies).map(
      ([label, policyArn]) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-node-${label}`,
          { role: nodeRole.id, policyArn },
          { parent: this },
        ),
    );

    // No image id (EKS supplies the AL2023 AMI and its nodeadm user data) and no security
    // groups (EKS then attaches the cluster security group, which data stores admit).
    const nodeTags = tagged(args.tags, `${name}-node`);
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-nodes`,
      {
        description: `Nodes of EKS cluster ${args.clusterName}`,
        updateDefaultVersion: true,
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // Hop limit 1: an IMDSv2 token cannot cross the extra hop into a pod's network
          // namespace, so pods cannot borrow the node role's credentials. Every pod that
          // needs AWS uses IRSA; host-network pods (vpc-cni, kube-proxy) still reach IMDS,
          // and the EBS CSI node plugin falls back to Kubernetes node metadata.
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: {
              volumeType: "gp3",
              volumeSize: args.nodes.diskSizeGiB,
              // The account's aws/ebs key: a customer key would need a grant to the
              // Auto Scaling service-linked role or instances would fail to launch.
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
          resourceType,
          tags: nodeTags,
        })),
        tags: tagged(args.tags, `${name}-nodes`),
      },
      { parent: this },
    );

    // vpc-cni and kube-proxy must run before nodes can become Ready, so node groups wait for them.
    const addonVersion = (addonName: string) =>
      aws.eks.getAddonVersionOutput(
        { addonName, kubernetesVersion: args.kubernetesVersion, mostRecent: true },
        { parent: this },
      ).version;
    const createAddon = (plan: AddonPlan, dependsOn: pulumi.Resource[]) => {
      const role = plan.irsa
        ? createServiceAccountRole(
            `${name}-${plan.name}`,
            {
              issuer: this,
              namespace: "kube-system",
              serviceAccount: plan.irsa.serviceAccount,
              managedPolicyArns: { policy: plan.irsa.policyArn },
              tags: args.tags,
            },
            this,
          )
        : undefined;
      return new aws.eks.Addon(
        `${name}-${plan.name}`,
        {
          clusterName: this.cluster.name,
          addonName: plan.name,
          addonVersion: addonVersion(plan.name),
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
          ...(role ? { serviceAccountRoleArn: role.arn } : {}),
          ...(plan.configurationValues ? { configurationValues: plan.configurationValues } : {}),
          tags: tagged(args.tags, `${name}-${plan.name}`),
        },
        { parent: this, dependsOn },
      );
    };
    const installed: Record<string, aws.eks.Addon> = {};
    for (const plan of addons.filter((a) => !a.needsNodes)) installed[plan.name] = createAddon(plan, []);

    const amiType = amiTypeFor(args.nodes.instanceTypes);
    this.nodeGroups = args.zones.map((zone, i) => {
      const nodeGroup = `${name}-nodes-${zone}`;
      return new aws.eks.NodeGroup(
        nodeGroup,
        {
          clusterName: this.cluster.name,
          nodeRoleArn: nodeRole.arn,
          // Exactly one subnet: the group's capacity lives in its own zone, so the autoscaler
          // can grow the zone a pending pod needs (EBS volumes and zone spread).
          subnetIds: [args.privateSubnetIds[i]!],
          version: args.kubernetesVersion,
          amiType,
          capacityType: "ON_DEMAND",
          instanceTypes: [...args.nodes.instanceTypes],
          launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
          scalingConfig: {
            minSize: args.nodes.minPerZone,
            desiredSize: args.nodes.desiredPerZone,
            maxSize: args.nodes.maxPerZone,
          },
          updateConfig: { maxUnavailable: 1 },
          labels: nodeLabels(nodeGroup, zone),
          tags: tagged(args.tags, nodeGroup, { "platform.io/zone": zone }),
        },
        {
          parent: this,
          dependsOn: [...nodePolicyAttachments, ...Object.values(installed)],
          // The desired size is the autoscaler's after creation; do not reset it on every update.
          ignoreChanges: ["scalingConfig.desiredSize"],
        },
      );
    });
    for (const plan of addons.filter((a) => a.needsNodes))
      installed[plan.name] = createAddon(plan, [...this.nodeGroups]);
    this.addons = installed;

    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority])
        .apply(([clusterName, endpoint, ca]) =>
          kubeconfig({ clusterName, endpoint, certificateAuthorityData: ca.data, region: args.region }),
        ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { parent: this },
    );

    this.workloadNamespace = new k8s.core.v1.Namespace(
      `${name}-${namespace}`,
      {
        metadata: {
          name: namespace,
          labels: { ...podSecurityLabels(args.kubernetesVersion), "app.kubernetes.io/managed-by": "pulumi" },
        },
      },
      { parent: this, provider: this.provider },
    );
    this.namespace = this.workloadNamespace.metadata.name;

    this.registerOutputs({
      clusterName: this.cluster.name,
      vpcId: this.vpcId,
      endpoint: this.cluster.endpoint,
      oidcIssuerUrl: this.oidcIssuerUrl,
      oidcProviderArn: this.oidcProvider.arn,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      namespace: this.namespace,
      kubeconfig: this.kubeconfig,
    });
  }
}
