import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { secretMask } from "../../scripts/plan/plan-types.js";
import { idOf, outputValue, recorded } from "../../test/pulumi.js";
import { Cluster, type ClusterArgs, validateClusterArgs } from "./cluster.js";

const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const subnets = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"];
const args: ClusterArgs = {
  clusterName: "platform-test",
  kubernetesVersion: "1.33",
  region: "eu-west-1",
  zones,
  vpcId: "vpc-0123456789abcdef0",
  privateSubnetIds: subnets,
  publicAccessCidrs: ["203.0.113.0/24", "198.51.100.16/28"],
  nodes: {
    instanceTypes: ["m7i.xlarge", "m6i.xlarge"],
    minPerZone: 2,
    desiredPerZone: 3,
    maxPerZone: 10,
    diskSizeGiB: 120,
  },
  logRetentionDays: 365,
  tags: { owner: "platform-team", "cost-center": "cc-1" },
};

type Inputs = Record<string, unknown>;
const trustOf = (role: { inputs: Inputs }) =>
  JSON.parse(role.inputs["assumeRolePolicy"] as string) as {
    Statement: { Principal: Inputs; Condition?: { StringEquals: Record<string, string> } }[];
  };

/** What each child was told to wait for, by child name: the engine orders creation by it. */
const dependencies = new Map<string, readonly pulumi.Resource[]>();
const names = new Map<pulumi.Resource, string>();
const recordDependencies: pulumi.ResourceTransformation = ({ resource, name, opts }) => {
  names.set(resource, name);
  // The component passes plain resources, never Outputs of them.
  const on = opts.dependsOn as pulumi.Resource | pulumi.Resource[] | undefined;
  dependencies.set(name, on === undefined ? [] : Array.isArray(on) ? on : [on]);
  return undefined;
};
const dependenciesOf = (name: string) =>
  (dependencies.get(name) ?? []).map((r) => names.get(r) ?? "(outside the component)").sort();

describe("Cluster", () => {
  const cluster = new Cluster("eks", args, { transformations: [recordDependencies] });
  const eksCluster = async () => {
    const [c] = await recorded("aws:eks/cluster:Cluster", cluster);
    return c!;
  };

  it("runs one node group per zone, each in exactly its own zone's private subnet", async () => {
    const groups = await recorded("aws:eks/nodeGroup:NodeGroup", cluster);
    expect(groups).toHaveLength(3);
    const placement = groups.map((g) => ({
      zone: (g.inputs["labels"] as Record<string, string>)["platform.io/zone"],
      subnets: g.inputs["subnetIds"],
    }));
    expect(placement).toEqual(zones.map((zone, i) => ({ zone, subnets: [subnets[i]] })));
    for (const g of groups) {
      expect(g.inputs["scalingConfig"]).toEqual({ minSize: 2, desiredSize: 3, maxSize: 10 });
      expect(g.inputs).toMatchObject({
        amiType: "AL2023_x86_64_STANDARD",
        updateConfig: { maxUnavailable: 1 },
      });
    }
  });

  it("envelope-encrypts Secrets with its own rotating KMS key", async () => {
    const c = await eksCluster();
    expect(c.inputs["encryptionConfig"]).toEqual({
      provider: { keyArn: await outputValue(cluster.kmsKey.arn) },
      resources: ["secrets"],
    });
    const [key] = await recorded("aws:kms/key:Key", cluster);
    expect(key?.inputs["enableKeyRotation"]).toBe(true);
    const [alias] = await recorded("aws:kms/alias:Alias", cluster);
    expect(alias?.inputs["targetKeyId"]).toBe(await outputValue(cluster.kmsKey.keyId));
  });

  it("ships all five control-plane log types to the retained log group EKS writes to", async () => {
    const c = await eksCluster();
    expect([...(c.inputs["enabledClusterLogTypes"] as string[])].sort()).toEqual([
      "api",
      "audit",
      "authenticator",
      "controllerManager",
      "scheduler",
    ]);
    const [group] = await recorded("aws:cloudwatch/logGroup:LogGroup", cluster);
    expect(group?.inputs).toMatchObject({ name: "/aws/eks/platform-test/cluster", retentionInDays: 365 });
  });

  it("creates the log group and the cluster role's policy before the cluster", () => {
    expect(dependenciesOf("eks")).toEqual(["eks-cluster", "eks-control-plane"]);
  });

  it("starts nodes after vpc-cni and kube-proxy, and coredns and the EBS CSI driver after the nodes", () => {
    const nodeGroups = zones.map((z) => `eks-nodes-${z}`);
    for (const group of nodeGroups) {
      expect(dependenciesOf(group)).toEqual(
        expect.arrayContaining(["eks-kube-proxy", "eks-vpc-cni", "eks-node-worker"]),
      );
    }
    for (const addon of ["eks-coredns", "eks-aws-ebs-csi-driver"])
      expect(dependenciesOf(addon)).toEqual(nodeGroups);
    for (const addon of ["eks-vpc-cni", "eks-kube-proxy"]) expect(dependenciesOf(addon)).toEqual([]);
  });

  it("keeps the private endpoint and restricts the public one to the listed CIDRs", async () => {
    const c = await eksCluster();
    expect(c.inputs["vpcConfig"]).toEqual({
      subnetIds: subnets,
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: args.publicAccessCidrs,
    });
  });

  it("authenticates through access entries, the creator as bootstrap admin", async () => {
    const c = await eksCluster();
    expect(c.inputs["accessConfig"]).toEqual({
      authenticationMode: "API",
      bootstrapClusterCreatorAdminPermissions: true,
    });
  });

  it("trusts the cluster's own OIDC issuer for IRSA, for the STS audience", async () => {
    const [oidc] = await recorded("aws:iam/openIdConnectProvider:OpenIdConnectProvider", cluster);
    const issuer = await outputValue(cluster.cluster.identities.apply((ids) => ids[0]!.oidcs![0]!.issuer));
    expect(issuer).toMatch(/^https:\/\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\//);
    expect(oidc?.inputs).toMatchObject({ url: issuer, clientIdLists: ["sts.amazonaws.com"] });
    expect(await outputValue(cluster.oidcIssuerUrl)).toBe(issuer.replace("https://", ""));
  });

  it("installs each managed add-on at its most recent version, overwriting conflicts", async () => {
    const installed = await recorded("aws:eks/addon:Addon", cluster);
    expect(installed.map((a) => a.inputs["addonName"]).sort()).toEqual([
      "aws-ebs-csi-driver",
      "coredns",
      "kube-proxy",
      "vpc-cni",
    ]);
    for (const addon of installed) {
      expect(addon.inputs).toMatchObject({
        clusterName: "platform-test",
        addonVersion: "v1.0.0-eksbuild.1",
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
      });
    }
  });

  it.each([
    ["vpc-cni", "aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
    [
      "aws-ebs-csi-driver",
      "ebs-csi-controller-sa",
      "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    ],
  ])("gives %s an IRSA role only kube-system/%s can assume, with %s", async (addonName, sa, policyArn) => {
    const addon = (await recorded("aws:eks/addon:Addon", cluster)).find(
      (a) => a.inputs["addonName"] === addonName,
    );
    const role = (await recorded("aws:iam/role:Role", cluster)).find((r) =>
      String(addon?.inputs["serviceAccountRoleArn"]).endsWith(`:role/${idOf(r)}`),
    );
    expect(role, `${addonName} has no IRSA role`).toBeDefined();
    const [statement] = trustOf(role!).Statement;
    const issuer = await outputValue(cluster.oidcIssuerUrl);
    expect(statement?.Principal).toEqual({ Federated: await outputValue(cluster.oidcProvider.arn) });
    expect(statement?.Condition?.StringEquals).toEqual({
      [`${issuer}:sub`]: `system:serviceaccount:kube-system:${sa}`,
      [`${issuer}:aud`]: "sts.amazonaws.com",
    });
    const attached = (await recorded("aws:iam/rolePolicyAttachment:RolePolicyAttachment", cluster))
      .filter((a) => a.inputs["role"] === idOf(role!))
      .map((a) => a.inputs["policyArn"]);
    expect(attached).toEqual([policyArn]);
  });

  it("gives nodes their worker, ECR and SSM policies but not the CNI policy", async () => {
    const groups = await recorded("aws:eks/nodeGroup:NodeGroup", cluster);
    const nodeRole = (await recorded("aws:iam/role:Role", cluster)).find((r) =>
      String(groups[0]?.inputs["nodeRoleArn"]).endsWith(`:role/${idOf(r)}`),
    );
    expect(trustOf(nodeRole!).Statement[0]?.Principal).toEqual({ Service: "ec2.amazonaws.com" });
    const attached = (await recorded("aws:iam/rolePolicyAttachment:RolePolicyAttachment", cluster))
      .filter((a) => a.inputs["role"] === idOf(nodeRole!))
      .map((a) => String(a.inputs["policyArn"]).split("/").pop())
      .sort();
    expect(attached).toEqual([
      "AmazonEC2ContainerRegistryReadOnly",
      "AmazonEKSWorkerNodePolicy",
      "AmazonSSMManagedInstanceCore",
    ]);
  });

  it("launches nodes requiring IMDSv2 with an encrypted gp3 root volume of the configured size", async () => {
    const [template] = await recorded("aws:ec2/launchTemplate:LaunchTemplate", cluster);
    expect(template?.inputs["metadataOptions"]).toMatchObject({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    expect(template?.inputs["blockDeviceMappings"]).toEqual([
      {
        deviceName: "/dev/xvda",
        ebs: { volumeType: "gp3", volumeSize: 120, encrypted: "true", deleteOnTermination: "true" },
      },
    ]);
    expect(template?.inputs["imageId"]).toBeUndefined();
    for (const g of await recorded("aws:eks/nodeGroup:NodeGroup", cluster)) {
      expect(g.inputs["launchTemplate"]).toEqual({ id: idOf(template!), version: "1" });
    }
  });

  it("creates the workload namespace through the cluster's provider, enforcing Pod Security restricted", async () => {
    const [ns] = await recorded("kubernetes:core/v1:Namespace", cluster);
    const metadata = ns?.inputs["metadata"] as { name: string; labels: Record<string, string> };
    expect(metadata.name).toBe("platform");
    expect(metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "v1.33",
    });
    expect(cluster.workloadNamespace.getProvider("kubernetes:core/v1:Namespace")).toBe(cluster.provider);
    expect(await outputValue(cluster.namespace)).toBe("platform");
  });

  it("builds the Kubernetes provider from a secret exec kubeconfig of this cluster", async () => {
    const [provider] = await recorded("pulumi:providers:kubernetes", cluster);
    expect(provider?.inputs["kubeconfig"]).toBe(secretMask);
    const config = JSON.parse(await outputValue(cluster.kubeconfig));
    expect(config.clusters[0].cluster.server).toBe(await outputValue(cluster.cluster.endpoint));
    expect(config.users[0].user.exec.args).toContain("platform-test");
  });

  it("exposes the cluster security group EKS attaches to nodes", async () => {
    const sg = await outputValue(cluster.clusterSecurityGroupId);
    expect(sg).toMatch(/^sg-/);
    expect(sg).toBe(await outputValue(cluster.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId)));
  });

  it("tags every taggable AWS child with the common tags and its Name", async () => {
    const tagged = (await recorded(undefined, cluster)).filter(
      (r) => r.type.startsWith("aws:") && r.inputs["tags"],
    );
    expect(tagged.length).toBeGreaterThanOrEqual(15);
    for (const r of tagged)
      expect(r.inputs["tags"], r.urn).toMatchObject({ ...args.tags, Name: expect.any(String) });
    const untagged = (await recorded(undefined, cluster)).filter(
      (r) =>
        ["aws:eks/", "aws:iam/role:", "aws:kms/key:", "aws:ec2/", "aws:cloudwatch/"].some((t) =>
          r.type.startsWith(t),
        ) && !r.inputs["tags"],
    );
    expect(untagged.map((r) => r.urn)).toEqual([]);
  });
});

/** The error a validation throws, to assert the property it names. */
function refusal(overrides: Partial<ClusterArgs>): unknown {
  try {
    validateClusterArgs({ ...args, ...overrides });
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("validateClusterArgs", () => {
  it("accepts the reference args", () => {
    expect(() => validateClusterArgs(args)).not.toThrow();
  });

  it("refuses 0.0.0.0/0 on the public endpoint, naming the entry", () => {
    const err = refusal({ publicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0"] });
    expect(err).toBeInstanceOf(pulumi.InputPropertyError);
    expect(err).toMatchObject({
      propertyPath: "publicAccessCidrs[1]",
      reason: expect.stringMatching(/whole internet/),
    });
  });

  it("refuses an empty public access list", () => {
    expect(() => validateClusterArgs({ ...args, publicAccessCidrs: [] })).toThrow(/at least one CIDR/);
  });

  it("refuses a missing zone", () => {
    expect(refusal({ zones: zones.slice(0, 2), privateSubnetIds: subnets.slice(0, 2) })).toMatchObject({
      propertyPath: "zones",
      reason: expect.stringMatching(/exactly 3 availability zones/),
    });
  });

  it("refuses a missing private subnet", () => {
    expect(refusal({ privateSubnetIds: subnets.slice(0, 2) })).toMatchObject({
      propertyPath: "privateSubnetIds",
      reason: expect.stringMatching(/one per availability zone/),
    });
  });

  it("refuses a zone outside the region", () => {
    expect(() => validateClusterArgs({ ...args, zones: ["eu-west-1a", "eu-west-1b", "us-east-1c"] })).toThrow(
      /not in region eu-west-1/,
    );
  });

  it("refuses a desired size above the maximum", () => {
    expect(() => validateClusterArgs({ ...args, nodes: { ...args.nodes, desiredPerZone: 11 } })).toThrow(
      /minPerZone <= desiredPerZone <= maxPerZone/,
    );
  });

  it("refuses a retention CloudWatch does not offer", () => {
    expect(() => validateClusterArgs({ ...args, logRetentionDays: 100 })).toThrow(/CloudWatch keeps logs/);
  });
});
