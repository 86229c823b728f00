/**
 * EKS: Secrets encrypted with our own KMS key, every control-plane log type shipped, and an
 * API endpoint reachable from the internet only from the listed networks.
 */
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isOpenToTheWorld, parseCidr } from "../lib/cidr.js";
import { resourceType } from "../lib/policy-kit.js";

const eksCluster = resourceType<{
  encryptionConfig?: { provider?: { keyArn?: string }; resources?: string[] };
  enabledClusterLogTypes?: string[];
  vpcConfig?: {
    endpointPublicAccess?: boolean;
    endpointPrivateAccess?: boolean;
    publicAccessCidrs?: string[];
  };
}>("aws:eks/cluster:Cluster");

export const eksSecretsEncryption: ResourceValidationPolicy = {
  name: "eks-secrets-encryption",
  description: "EKS envelope-encrypts Kubernetes Secrets with a customer-managed KMS key.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(eksCluster, (cluster, _args, report) => {
    const config = cluster.encryptionConfig;
    if (!config?.resources?.includes("secrets")) report("encryptionConfig does not cover secrets");
    if (!config?.provider?.keyArn) report("encryptionConfig names no KMS key");
  }),
};

export const eksControlPlaneLogging: ResourceValidationPolicy = {
  name: "eks-control-plane-logging",
  description: "EKS ships every control-plane log type to CloudWatch.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      requiredLogTypes: {
        type: "array",
        items: { type: "string" },
        default: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
      },
    },
  },
  validateResource: validateResourceOfType(eksCluster, (cluster, args, report) => {
    const { requiredLogTypes } = args.getConfig<{ requiredLogTypes: string[] }>();
    const missing = requiredLogTypes.filter((t) => !cluster.enabledClusterLogTypes?.includes(t));
    if (missing.length > 0) report(`control-plane logs not enabled: ${missing.join(", ")}`);
  }),
};

export const eksRestrictedEndpoint: ResourceValidationPolicy = {
  name: "eks-restricted-public-endpoint",
  description:
    "The EKS API has a private endpoint, and its public endpoint (if any) admits only listed networks.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minPrefixLength: {
        type: "integer",
        minimum: 1,
        maximum: 32,
        default: 16,
        description: "The widest IPv4 range allowed to reach the public endpoint.",
      },
    },
  },
  validateResource: validateResourceOfType(eksCluster, (cluster, args, report) => {
    const { minPrefixLength } = args.getConfig<{ minPrefixLength: number }>();
    const vpc = cluster.vpcConfig ?? {};
    if (vpc.endpointPrivateAccess !== true)
      report("endpointPrivateAccess is not true: nodes would reach the API over the internet");
    if (vpc.endpointPublicAccess === false) return;
    const cidrs = vpc.publicAccessCidrs ?? [];
    // Left out, AWS opens the public endpoint to 0.0.0.0/0.
    if (cidrs.length === 0)
      report("the public endpoint has no publicAccessCidrs, so it is open to the internet");
    for (const cidr of cidrs) {
      const range = parseCidr(cidr);
      if (!range || isOpenToTheWorld(cidr)) report(`publicAccessCidrs includes ${cidr}`);
      else if (!range.v6 && range.prefix < minPrefixLength)
        report(`${cidr} is wider than /${minPrefixLength}`);
    }
  }),
};

export const eksPolicies = [eksSecretsEncryption, eksControlPlaneLogging, eksRestrictedEndpoint];
