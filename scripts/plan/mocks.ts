import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { availabilityZones, awsAccountId, cloudflareIpRanges } from "./cloud-facts.js";

type Inputs = Record<string, unknown>;

/** A stable hex digest of a resource's identity, so two plans of one stack are identical. */
function digest(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

/** EC2-style physical ids by resource type; other types get `<name>-<hex>`. */
const idPrefixes: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "vpc",
  "aws:ec2/subnet:Subnet": "subnet",
  "aws:ec2/internetGateway:InternetGateway": "igw",
  "aws:ec2/natGateway:NatGateway": "nat",
  "aws:ec2/eip:Eip": "eipalloc",
  "aws:ec2/routeTable:RouteTable": "rtb",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
  "aws:ec2/securityGroup:SecurityGroup": "sg",
  "aws:ec2/flowLog:FlowLog": "fl",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
  "aws:ec2/networkAcl:NetworkAcl": "acl",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
};

/** The AWS service segment of an ARN for a provider module, where it differs. */
const arnServices: Record<string, string> = {
  cloudwatch: "logs",
  opensearch: "es",
  lb: "elasticloadbalancing",
};

/**
 * Outputs a cloud computes for a resource, beyond its inputs: endpoints, ARNs, ids.
 * Keyed by type token; each answers from the resource's name, inputs and region.
 */
type Computed = (name: string, inputs: Inputs, region: string, id: string) => Inputs;

const computed: Record<string, Computed> = {
  "aws:ec2/eip:Eip": (name) => ({
    publicIp: `52.${parseInt(digest(name, 2), 16)}.${parseInt(digest(`${name}.`, 2), 16)}.10`,
  }),
  "aws:eks/cluster:Cluster": (name, _i, region) => {
    const oidc = digest(name, 32).toUpperCase();
    return {
      endpoint: `https://${oidc}.gr7.${region}.eks.amazonaws.com`,
      certificateAuthority: {
        data: Buffer.from(`-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`).toString(
          "base64",
        ),
      },
      identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${oidc}` }] }],
      platformVersion: "eks.10",
      status: "ACTIVE",
      vpcConfig: {
        ...(_i["vpcConfig"] as Inputs),
        clusterSecurityGroupId: `sg-${digest(`${name}-eks`, 17)}`,
      },
    };
  },
  "aws:rds/cluster:Cluster": (name, inputs, region) => ({
    endpoint: `${inputs["clusterIdentifier"] ?? name}.cluster-${digest(name, 12)}.${region}.rds.amazonaws.com`,
    readerEndpoint: `${inputs["clusterIdentifier"] ?? name}.cluster-ro-${digest(name, 12)}.${region}.rds.amazonaws.com`,
    port: 5432,
  }),
  "aws:rds/clusterInstance:ClusterInstance": (name, _i, region) => ({
    endpoint: `${name}.${digest(name, 12)}.${region}.rds.amazonaws.com`,
  }),
  "aws:elasticache/replicationGroup:ReplicationGroup": (name, _i, region) => ({
    primaryEndpointAddress: `master.${name}.${digest(name, 6)}.euw1.cache.amazonaws.com`.replace(
      "euw1",
      region.replace(/-/g, "").slice(0, 4),
    ),
    readerEndpointAddress: `replica.${name}.${digest(name, 6)}.cache.amazonaws.com`,
    port: 6379,
  }),
  "aws:opensearch/domain:Domain": (name, _i, region) => ({
    endpoint: `vpc-${name}-${digest(name, 26)}.${region}.es.amazonaws.com`,
    domainId: `${awsAccountId}/${name}`,
  }),
  "aws:msk/cluster:Cluster": (name, inputs, region) => {
    const brokers = Number(inputs["numberOfBrokerNodes"] ?? 3);
    const host = (i: number, port: number) =>
      `b-${i}.${name}.${digest(name, 6)}.c2.kafka.${region}.amazonaws.com:${port}`;
    const list = (port: number) => Array.from({ length: brokers }, (_, i) => host(i + 1, port)).join(",");
    return {
      bootstrapBrokersSaslScram: list(9096),
      bootstrapBrokersSaslIam: list(9098),
      bootstrapBrokersTls: list(9094),
      zookeeperConnectString: "",
      currentVersion: "K3AEGXETSR30VB",
    };
  },
  "aws:msk/configuration:Configuration": () => ({ latestRevision: 1 }),
  "aws:lb/loadBalancer:LoadBalancer": (name, _i, region) => ({
    dnsName: `${name}-${parseInt(digest(name, 8), 16)}.${region}.elb.amazonaws.com`,
    zoneId: "Z32O12XQLNTSW2",
  }),
  "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1, defaultVersion: 1 }),
  "aws:ecr/repository:Repository": (name, inputs, region) => ({
    repositoryUrl: `${awsAccountId}.dkr.ecr.${region}.amazonaws.com/${String(inputs["name"] ?? name)}`,
    registryId: awsAccountId,
  }),
  "aws:s3/bucket:Bucket": (name, inputs) => ({ arn: `arn:aws:s3:::${String(inputs["bucket"] ?? name)}` }),
  "pagerduty:index/serviceIntegration:ServiceIntegration": (name) => ({
    integrationKey: digest(`${name}-key`, 32),
  }),
  "aws:kms/key:Key": (name) => ({
    keyId: `${digest(name, 8)}-${digest(`${name}1`, 4)}-${digest(`${name}2`, 4)}-${digest(`${name}3`, 4)}-${digest(`${name}4`, 12)}`,
  }),
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_n, inputs) => ({
    arn: `arn:aws:iam::${awsAccountId}:oidc-provider/${String(inputs["url"] ?? "").replace(/^https:\/\//, "")}`,
  }),
  "random:index/randomBytes:RandomBytes": (name, inputs) => {
    const bytes = Buffer.from(digest(name, 64).repeat(8), "hex").subarray(0, Number(inputs["length"] ?? 32));
    return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
  },
  "random:index/randomPassword:RandomPassword": (name, inputs) => ({
    result: `pw-${digest(name, Number(inputs["length"] ?? 32) - 3)}`,
  }),
  "tls:index/privateKey:PrivateKey": (name) => ({
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${digest(name, 64)}\n-----END PRIVATE KEY-----\n`,
  }),
  "tls:index/certRequest:CertRequest": (name) => ({
    certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${digest(name, 64)}\n-----END CERTIFICATE REQUEST-----\n`,
  }),
  "cloudflare:index/originCaCertificate:OriginCaCertificate": (name) => ({
    certificate: `-----BEGIN CERTIFICATE-----\n${digest(name, 64)}\n-----END CERTIFICATE-----\n`,
    expiresOn: "2041-11-21T00:00:00Z",
  }),
};

function arnFor(type: string, name: string, id: string, region: string): string | undefined {
  const [pkg, module] = type.split(/[:/]/);
  if (pkg !== "aws" || !module) return undefined;
  const service = arnServices[module] ?? module;
  const global = service === "iam";
  return `arn:aws:${service}:${global ? "" : region}:${awsAccountId}:${type.split(":").pop()!.toLowerCase()}/${id || name}`;
}

function physicalId(type: string, name: string, urnSeed: string): string {
  const prefix = idPrefixes[type];
  return prefix ? `${prefix}-${digest(urnSeed, 17)}` : `${name}-${digest(urnSeed, 8)}`;
}

/** Answers to the provider functions (invokes) the program calls. */
function invoke(token: string, inputs: Inputs, region: string): Record<string, unknown> {
  switch (token) {
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return availabilityZones(region);
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: awsAccountId,
        arn: `arn:aws:iam::${awsAccountId}:user/platform-deployer`,
        userId: "AIDAEXAMPLEDEPLOYER",
        id: awsAccountId,
      };
    case "aws:index/getRegion:getRegion":
      return {
        name: region,
        region,
        id: region,
        description: region,
        endpoint: `ec2.${region}.amazonaws.com`,
      };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
    case "cloudflare:index/getIpRanges:getIpRanges":
      return {
        ...cloudflareIpRanges,
        // The shape @pulumi/cloudflare 6.x returns.
        ipv4Cidrs: cloudflareIpRanges.ipv4CidrBlocks,
        ipv6Cidrs: cloudflareIpRanges.ipv6CidrBlocks,
        jdcloudCidrs: [],
        etag: "cloudflare-ip-ranges",
        id: "cloudflare-ip-ranges",
        chinaIpv4CidrBlocks: [],
        chinaIpv6CidrBlocks: [],
      };
    case "aws:eks/getAddonVersion:getAddonVersion":
      return { ...inputs, id: String(inputs["addonName"]), version: `v1.0.0-eksbuild.1` };
    case "pagerduty:index/getUser:getUser":
      return {
        ...inputs,
        id: `P${digest(String(inputs["email"]), 6).toUpperCase()}`,
        name: String(inputs["email"]),
      };
    case "pagerduty:index/getVendor:getVendor":
      // PagerDuty's "Events API V2" vendor.
      return { id: "PAM4FGS", name: "Events API V2", type: "generic_events_api_inbound_integration" };
    default:
      throw new Error(`no offline answer for provider function ${token}: add one to scripts/plan/mocks.ts`);
  }
}

/** Mocks that make the program behave as against a real, empty account in `region`. */
export function cloudMocks(region: string): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      const seed = `${args.type}::${args.name}`;
      const id = args.id || physicalId(args.type, args.name, seed);
      const extra = computed[args.type]?.(args.name, args.inputs, region, id) ?? {};
      const arn = arnFor(args.type, args.name, id, region);
      return { id, state: { ...(arn ? { arn } : {}), ...args.inputs, ...extra } };
    },
    call(args) {
      return invoke(args.token, args.inputs, region);
    },
  };
}
