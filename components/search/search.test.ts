import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { awsAccountId } from "../../scripts/plan/cloud-facts.js";
import { loadServiceRegistry } from "../../services/registry.js";
import { idOf, outputValue, recorded, spec } from "../../test/pulumi.js";
import { Search, type SearchArgs, validateSearchArgs } from "./search.js";

const services = await loadServiceRegistry();
const platform = spec();
const zones = platform.network.zones;
const k8sProvider = new k8s.Provider("k8s", {
  kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
});
const allowed = ["sg-0eks0cluster0000a", "sg-0eks0cluster0000b"];
const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";

const args: SearchArgs = {
  name: "platform-prod-search",
  zones,
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-iso-a", "subnet-iso-b", "subnet-iso-c"],
  allowedSecurityGroupIds: allowed,
  services,
  k8sProvider,
  namespace: "platform",
  oidcProviderArn: `arn:aws:iam::${awsAccountId}:oidc-provider/${issuer}`,
  oidcIssuerUrl: issuer,
  tags: { owner: "platform-team", "cost-center": "cc-4200" },
  ...platform.search,
};
const domainArn = `arn:aws:es:${platform.region}:${awsAccountId}:domain/platform-prod-search`;

describe("Search", () => {
  const search = new Search("search", args);
  const domain = async () => {
    const [d] = await recorded("aws:opensearch/domain:Domain", search);
    if (!d) throw new Error("no domain");
    return d.inputs as Record<string, Record<string, unknown>>;
  };
  const role = async () => {
    const [r] = await recorded("aws:iam/role:Role", search);
    if (!r) throw new Error("no role");
    return r;
  };

  it("spreads data nodes and three dedicated masters over the three zones", async () => {
    const { clusterConfig, vpcOptions } = await domain();
    expect(clusterConfig).toMatchObject({
      instanceType: platform.search.dataNodeType,
      instanceCount: platform.search.dataNodesPerZone * 3,
      zoneAwarenessEnabled: true,
      zoneAwarenessConfig: { availabilityZoneCount: 3 },
      dedicatedMasterEnabled: true,
      dedicatedMasterCount: 3,
      dedicatedMasterType: platform.search.masterNodeType,
    });
    expect(vpcOptions?.["subnetIds"]).toEqual(args.subnetIds);
  });

  it("lives in the VPC only, on gp3 volumes of the configured size", async () => {
    const d = await domain();
    expect(d["vpcOptions"]).toBeDefined();
    expect(d["ebsOptions"]).toEqual({
      ebsEnabled: true,
      volumeType: "gp3",
      volumeSize: platform.search.volumeSizeGiB,
    });
  });

  it("encrypts at rest with its own rotating KMS key, between nodes, and serves HTTPS with TLS 1.2+ PFS only", async () => {
    const keyArn = await outputValue(search.kmsKey.arn);
    const [key] = await recorded("aws:kms/key:Key", search);
    expect(key?.inputs["enableKeyRotation"]).toBe(true);
    const d = await domain();
    expect(d["encryptAtRest"]).toEqual({ enabled: true, kmsKeyId: keyArn });
    expect(d["nodeToNodeEncryption"]).toEqual({ enabled: true });
    expect(d["domainEndpointOptions"]).toEqual({
      enforceHttps: true,
      tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10",
    });
  });

  it("makes the search service's IRSA role the fine-grained master user, without internal users", async () => {
    const roleArn = await outputValue(search.serviceRoleArns["search"]!);
    expect((await domain())["advancedSecurityOptions"]).toEqual({
      enabled: true,
      anonymousAuthEnabled: false,
      internalUserDatabaseEnabled: false,
      masterUserOptions: { masterUserArn: roleArn },
    });
    const trust = JSON.parse((await role()).inputs["assumeRolePolicy"] as string);
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { Federated: args.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: "system:serviceaccount:platform:search",
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      }),
    ]);
  });

  it("allows only that role in the domain's access policy", async () => {
    const roleArn = await outputValue(search.serviceRoleArns["search"]!);
    const policy = JSON.parse((await domain())["accessPolicies"] as unknown as string);
    expect(policy.Statement).toEqual([
      { Effect: "Allow", Principal: { AWS: roleArn }, Action: "es:ESHttp*", Resource: `${domainArn}/*` },
    ]);
  });

  it("admits only the allowed security groups, only on 443, with no egress", async () => {
    const [sg] = await recorded("aws:ec2/securityGroup:SecurityGroup", search);
    expect((await domain())["vpcOptions"]?.["securityGroupIds"]).toEqual([idOf(sg!)]);
    const rules = await recorded("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", search);
    expect(rules.map((r) => r.inputs["referencedSecurityGroupId"]).sort()).toEqual(allowed);
    for (const r of rules) {
      expect(r.inputs).toMatchObject({
        securityGroupId: idOf(sg!),
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      });
      expect(r.inputs["cidrIpv4"]).toBeUndefined();
    }
    expect(await recorded("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", search)).toEqual([]);
    expect(sg?.inputs["egress"] ?? []).toEqual([]);
  });

  it("publishes slow and application logs to a group OpenSearch may write to", async () => {
    const [group] = await recorded("aws:cloudwatch/logGroup:LogGroup", search);
    const groupArn = `arn:aws:logs:${platform.region}:${awsAccountId}:loggroup/${idOf(group!)}`;
    const published = (await domain())["logPublishingOptions"] as unknown as Record<string, unknown>[];
    expect(published.map((o) => o["logType"])).toEqual(
      expect.arrayContaining(["INDEX_SLOW_LOGS", "ES_APPLICATION_LOGS"]),
    );
    for (const o of published) expect(o).toMatchObject({ cloudwatchLogGroupArn: groupArn, enabled: true });
    const [policy] = await recorded("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", search);
    const [statement] = JSON.parse(policy?.inputs["policyDocument"] as string).Statement;
    expect(statement).toMatchObject({
      Principal: { Service: "es.amazonaws.com" },
      Resource: `${groupArn}:*`,
      Condition: { ArnLike: { "aws:SourceArn": domainArn } },
    });
  });

  it("tells the search service the endpoint and region in a ConfigMap, with no Secret at all", async () => {
    const maps = await recorded("kubernetes:core/v1:ConfigMap", search);
    expect(maps).toHaveLength(1);
    const map = maps[0]!;
    expect(map.inputs["metadata"]).toMatchObject({
      name: "search-opensearch",
      namespace: "platform",
      labels: { "app.kubernetes.io/name": "search" },
    });
    const endpoint = await outputValue(search.endpoint);
    expect(endpoint).toMatch(/^https:\/\/vpc-[a-z0-9-]+\.eu-west-1\.es\.amazonaws\.com$/);
    expect(map.inputs["data"]).toEqual({ endpoint, region: platform.region });
    expect(await recorded("kubernetes:core/v1:Secret", search)).toEqual([]);
  });

  it("exposes the role ARN of exactly the service that declares opensearch", async () => {
    expect(Object.keys(search.serviceRoleArns)).toEqual(["search"]);
    expect(await outputValue(search.serviceRoleArns["search"]!)).toBe(
      `arn:aws:iam::${awsAccountId}:role/${idOf(await role())}`,
    );
  });

  it("tags every taggable AWS child", async () => {
    const untaggable = new Set([
      "aws:kms/alias:Alias",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    ]);
    const children = (await recorded(undefined, search)).filter(
      (r) => r.type.startsWith("aws:") && !untaggable.has(r.type),
    );
    expect(children.length).toBeGreaterThan(6);
    for (const c of children)
      expect(c.inputs["tags"], c.name).toMatchObject({ owner: "platform-team", Name: c.name });
  });
});

describe("validateSearchArgs", () => {
  it("refuses two zones", () => {
    expect(() => validateSearchArgs({ ...args, zones: zones.slice(0, 2) })).toThrow(
      /exactly 3 availability zones/,
    );
  });

  it("refuses a subnet count other than one per zone", () => {
    expect(() => validateSearchArgs({ ...args, subnetIds: ["subnet-a"] })).toThrow(
      /one per availability zone \(3\), got 1/,
    );
  });

  it("refuses two services declaring opensearch, explaining why", () => {
    const second = { ...services.find((s) => s.name === "catalog")!, stores: ["opensearch" as const] };
    expect(() => validateSearchArgs({ ...args, services: [...services, second] })).toThrow(
      /exactly one service to declare "opensearch", got 2 \(search, catalog\): fine-grained access control maps a single IAM role/,
    );
  });

  it("refuses a registry where no service declares opensearch", () => {
    expect(() =>
      validateSearchArgs({ ...args, services: services.filter((s) => !s.stores.includes("opensearch")) }),
    ).toThrow(/got 0/);
  });

  it("returns the one service that uses the domain", () => {
    expect(validateSearchArgs(args).name).toBe("search");
  });
});
