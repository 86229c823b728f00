/**
 * The pure decisions of the EKS cluster, tested without any cloud: what is logged, who may
 * reach the public endpoint, how nodes are sized and labelled, which add-ons run and which
 * service account each one's IAM role is for.
 */
import * as aws from "@pulumi/aws";
import { invalid, requireWholeNumber } from "../shared/validation.js";

/** Every control-plane log type EKS can ship to CloudWatch. */
export const controlPlaneLogTypes = [
  "api",
  "audit",
  "authenticator",
  "controllerManager",
  "scheduler",
] as const;

/** A trust policy letting one AWS service assume a role (the cluster role, the node role). */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** The CloudWatch log group EKS writes control-plane logs to; its name is fixed by EKS. */
export const controlPlaneLogGroupName = (clusterName: string) => `/aws/eks/${clusterName}/cluster`;

/** The retention periods CloudWatch Logs accepts, in days. */
export const logRetentionChoices = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export function requireLogRetention(days: number, propertyPath = "logRetentionDays"): void {
  if (!(logRetentionChoices as readonly number[]).includes(days)) {
    invalid(
      propertyPath,
      `CloudWatch keeps logs for one of ${logRetentionChoices.join(", ")} days, got ${days}`,
    );
  }
}

/** An EKS cluster name: starts alphanumeric, then alphanumerics, '-' and '_', at most 100. */
export function requireClusterName(name: string, propertyPath = "clusterName"): void {
  if (!/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(name)) {
    invalid(propertyPath, `"${name}" is not a valid EKS cluster name`);
  }
}

/** An EKS Kubernetes minor version, e.g. "1.33". */
export function requireKubernetesVersion(version: string, propertyPath = "kubernetesVersion"): void {
  if (!/^1\.\d{2}$/.test(version)) invalid(propertyPath, `expected a version like "1.33", got "${version}"`);
}

const ipv4Cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * The public API endpoint is open only to listed networks: at least one CIDR, every one
 * a valid IPv4 block, and none that covers the whole internet.
 */
export function requirePublicAccessCidrs(cidrs: readonly string[], propertyPath = "publicAccessCidrs"): void {
  if (cidrs.length === 0) {
    invalid(propertyPath, "at least one CIDR must be allowed to reach the public endpoint");
  }
  for (const [i, cidr] of cidrs.entries()) {
    const match = ipv4Cidr.exec(cidr);
    const octets = match?.slice(1, 5).map(Number) ?? [];
    const prefix = Number(match?.[5]);
    if (!match || octets.some((o) => o > 255) || prefix > 32) {
      invalid(`${propertyPath}[${i}]`, `"${cidr}" is not an IPv4 CIDR block`);
    }
    if (prefix === 0) {
      invalid(`${propertyPath}[${i}]`, `${cidr} would open the API server to the whole internet`);
    }
  }
}

/** How the node group of each zone scales; see `ClusterArgs.nodes`. */
export interface NodeScaling {
  readonly instanceTypes: readonly string[];
  readonly minPerZone: number;
  readonly desiredPerZone: number;
  readonly maxPerZone: number;
  readonly diskSizeGiB: number;
}

/** The AL2023 EKS AMI's root snapshot is 20 GiB; a smaller root volume cannot boot it. */
export const minimumDiskSizeGiB = 20;

export function requireNodeScaling(nodes: NodeScaling, propertyPath = "nodes"): void {
  if (nodes.instanceTypes.length === 0) invalid(`${propertyPath}.instanceTypes`, "expected at least one");
  for (const key of ["minPerZone", "desiredPerZone", "maxPerZone", "diskSizeGiB"] as const)
    requireWholeNumber(nodes[key], `${propertyPath}.${key}`, { min: 0 });
  if (nodes.maxPerZone < 1) invalid(`${propertyPath}.maxPerZone`, "expected at least 1 node per zone");
  if (!(nodes.minPerZone <= nodes.desiredPerZone && nodes.desiredPerZone <= nodes.maxPerZone)) {
    invalid(
      propertyPath,
      `expected minPerZone <= desiredPerZone <= maxPerZone, got ${nodes.minPerZone}, ${nodes.desiredPerZone}, ${nodes.maxPerZone}`,
    );
  }
  if (nodes.diskSizeGiB < minimumDiskSizeGiB) {
    invalid(
      `${propertyPath}.diskSizeGiB`,
      `expected at least ${minimumDiskSizeGiB} GiB, got ${nodes.diskSizeGiB}`,
    );
  }
  amiTypeFor(nodes.instanceTypes, `${propertyPath}.instanceTypes`);
}

/** Graviton (arm64) instance families: a 'g' right after the generation (m7g, c7gn, r8gd, im4gn), and a1. */
const graviton = /^([a-z]+\d+g[a-z]*|a1)\./;

/**
 * The EKS-optimised Amazon Linux 2023 AMI matching the instance types' architecture. A node
 * group runs one AMI, so mixing Graviton and x86 types is refused.
 */
export function amiTypeFor(instanceTypes: readonly string[], propertyPath = "nodes.instanceTypes"): string {
  const arm = instanceTypes.filter((t) => graviton.test(t));
  if (arm.length > 0 && arm.length < instanceTypes.length) {
    invalid(propertyPath, `mixes arm64 (${arm.join(", ")}) and x86_64 instance types in one node group`);
  }
  return arm.length > 0 ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/** The Kubernetes labels of a zone's nodes. */
export function nodeLabels(nodeGroup: string, zone: string): Record<string, string> {
  return { "platform.io/node-group": nodeGroup, "platform.io/zone": zone };
}

/**
 * Pod Security Admission labels enforcing the `restricted` profile, pinned to the cluster's
 * version so an upgrade never tightens the policy under running workloads unannounced.
 * See https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
export function podSecurityLabels(kubernetesVersion: string): Record<string, string> {
  const version = `v${kubernetesVersion}`;
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "audit", "warn"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = "restricted";
    labels[`pod-security.kubernetes.io/${mode}-version`] = version;
  }
  return labels;
}

/** One EKS managed add-on. */
export interface AddonPlan {
  readonly name: string;
  /** Whether its pods need schedulable nodes before it can become ACTIVE. */
  readonly needsNodes: boolean;
  /** The kube-system service account assuming its IRSA role, and the role's managed policy. */
  readonly irsa?: { readonly serviceAccount: string; readonly policyArn: string };
  /** The add-on's configuration (JSON), e.g. enabling a feature. Default: the add-on's defaults. */
  readonly configurationValues?: string;
}

/**
 * The add-ons every cluster runs. vpc-cni and kube-proxy are DaemonSets nodes need to become
 * Ready; coredns and the EBS CSI controller are Deployments that need Ready nodes.
 */
export const addons: readonly AddonPlan[] = [
  {
    name: "vpc-cni",
    needsNodes: false,
    irsa: { serviceAccount: "aws-node", policyArn: aws.iam.ManagedPolicy.AmazonEKS_CNI_Policy },
    // Enforce NetworkPolicies (the workload namespace denies all traffic by default).
    configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
  },
  { name: "kube-proxy", needsNodes: false },
  { name: "coredns", needsNodes: true },
  {
    name: "aws-ebs-csi-driver",
    needsNodes: true,
    irsa: {
      serviceAccount: "ebs-csi-controller-sa",
      policyArn: aws.iam.ManagedPolicy.AmazonEBSCSIDriverPolicy,
    },
  },
];
