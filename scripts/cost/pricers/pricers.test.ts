import { describe, expect, it } from "vitest";
import { resource } from "../../../policies/test/fixtures.js";
import type { PlannedResource } from "../../plan/plan-types.js";
import { linesOf, priceIn } from "../fixtures.js";
import { pricers } from "./index.js";

/** Every type a test below prices, to prove each price model has one. */
const tested = new Set<string>();
function price(type: string, inputs: Record<string, unknown>, deps: Record<string, PlannedResource[]> = {}) {
  tested.add(type);
  const subject = resource(type, "subject", inputs, deps);
  return linesOf(priceIn(subject, Object.values(deps).flat()));
}

// Expected figures worked out by hand from the round table in ../fixtures.ts (730 h a month).
describe("price models, one per type", () => {
  it("EKS control plane: $0.10/h, or $0.60/h for a version in extended support", () => {
    expect(price("aws:eks/cluster:Cluster", { version: "1.35" })).toEqual([
      ["control plane, Kubernetes 1.35", 73],
    ]);
    expect(price("aws:eks/cluster:Cluster", { version: "1.33" })).toEqual([
      ["control plane, Kubernetes 1.33 in extended support", 438],
    ]);
  });

  it("node group: the first instance type at desired size, and the launch template's root volumes", () => {
    const template = resource("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
      blockDeviceMappings: [{ ebs: { volumeSize: 50, volumeType: "gp3" } }],
    });
    const group = {
      instanceTypes: ["m7i.large", "m6i.large"],
      scalingConfig: { desiredSize: 2, maxSize: 9 },
    };
    expect(price("aws:eks/nodeGroup:NodeGroup", group, { launchTemplate: [template] })).toEqual([
      ["2 × m7i.large (desired size)", 146],
      ["2 × 50 GiB gp3 root volumes", 8],
    ]);
    // Without a launch template, EKS gives each node a 20 GiB gp2 root volume.
    expect(price("aws:eks/nodeGroup:NodeGroup", group)).toContainEqual(["2 × 20 GiB gp2 root volumes", 4]);
  });

  it("node group: Spot capacity and an instance type missing from the table are not priced, by name", () => {
    expect(
      price("aws:eks/nodeGroup:NodeGroup", { capacityType: "SPOT", scalingConfig: { desiredSize: 1 } }),
    ).toEqual({
      kind: "notPriced",
      reason: "Spot capacity has no list price",
    });
    expect(
      price("aws:eks/nodeGroup:NodeGroup", { instanceTypes: ["m9.huge"], scalingConfig: { desiredSize: 1 } }),
    ).toEqual({
      kind: "notPriced",
      reason: "no EC2 instance price for m9.huge in eu-west-1 in the price table",
    });
  });

  it("Aurora cluster: assumed storage and I/O; another engine is not priced", () => {
    expect(price("aws:rds/cluster:Cluster", { engine: "aurora-postgresql" })).toEqual([
      ["storage", 10],
      ["I/O requests", 20],
    ]);
    expect(price("aws:rds/cluster:Cluster", { engine: "aurora-mysql" })).toMatchObject({ kind: "notPriced" });
  });

  it("Aurora instance: its class by the hour", () => {
    const instance = { engine: "aurora-postgresql", instanceClass: "db.r7g.large" };
    expect(price("aws:rds/clusterInstance:ClusterInstance", instance)).toEqual([
      ["db.r7g.large instance", 219],
    ]);
  });

  it("ElastiCache: every node, whether counted as cache clusters or node groups with replicas", () => {
    const type = "aws:elasticache/replicationGroup:ReplicationGroup";
    expect(price(type, { nodeType: "cache.r7g.large", numCacheClusters: 3 })).toEqual([
      ["3 × cache.r7g.large nodes", 438],
    ]);
    expect(price(type, { nodeType: "cache.r7g.large", numNodeGroups: 2, replicasPerNodeGroup: 1 })).toEqual([
      ["4 × cache.r7g.large nodes", 584],
    ]);
  });

  it("OpenSearch: data nodes, dedicated masters, one gp3 volume per data node", () => {
    const domain = {
      clusterConfig: {
        instanceType: "r7g.large.search",
        instanceCount: 3,
        dedicatedMasterEnabled: true,
        dedicatedMasterType: "m7g.large.search",
        dedicatedMasterCount: 3,
      },
      ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: 100 },
    };
    expect(price("aws:opensearch/domain:Domain", domain)).toEqual([
      ["3 × r7g.large.search data nodes", 438],
      ["3 × m7g.large.search dedicated masters", 328.5],
      ["3 × 100 GiB gp3 volumes", 36],
    ]);
  });

  it("MSK: brokers and each broker's storage", () => {
    const cluster = {
      numberOfBrokerNodes: 3,
      brokerNodeGroupInfo: {
        instanceType: "kafka.m7g.large",
        storageInfo: { ebsStorageInfo: { volumeSize: 500 } },
      },
    };
    expect(price("aws:msk/cluster:Cluster", cluster)).toEqual([
      ["3 × kafka.m7g.large brokers", 438],
      ["3 × 500 GiB broker storage", 150],
    ]);
  });

  it("NAT gateway: by the hour, and the assumed GiB it processes", () => {
    expect(price("aws:ec2/natGateway:NatGateway", { connectivityType: "public" })).toEqual([
      ["NAT gateway", 36.5],
      ["data processed", 5],
    ]);
  });

  it("Elastic IP: a public IPv4 address by the hour", () => {
    expect(price("aws:ec2/eip:Eip", { domain: "vpc" })).toEqual([["public IPv4 address", 3.65]]);
  });

  it("load balancers: network and application, each with assumed capacity units", () => {
    expect(price("aws:lb/loadBalancer:LoadBalancer", { loadBalancerType: "network" })).toEqual([
      ["network load balancer", 18.25],
      ["capacity units (NLCU-hours)", 4.38],
    ]);
    expect(price("aws:lb/loadBalancer:LoadBalancer", {})).toEqual([
      ["application load balancer", 18.25],
      ["capacity units (LCU-hours)", 5.84],
    ]);
  });

  it("VPC endpoints: a gateway endpoint is free, an interface endpoint billed per zone", () => {
    const type = "aws:ec2/vpcEndpoint:VpcEndpoint";
    expect(price(type, { vpcEndpointType: "Gateway" })).toMatchObject({ kind: "free" });
    expect(price(type, { vpcEndpointType: "Interface", subnetIds: ["a", "b", "c"] })).toEqual([
      ["interface endpoint in 3 zone(s)", 21.9],
      ["data processed", 0.1],
    ]);
  });

  it("VPC: the assumed data transfer between zones and out to the internet", () => {
    expect(price("aws:ec2/vpc:Vpc", { cidrBlock: "10.0.0.0/16" })).toEqual([
      ["data transfer between zones", 20],
      ["data transfer out to the internet", 45],
    ]);
  });

  it("KMS key: a month's fee and assumed requests", () => {
    expect(price("aws:kms/key:Key", {})).toEqual([
      ["customer-managed key", 1],
      ["requests", 0.3],
    ]);
  });

  it("Secrets Manager secret: a month's fee and assumed API calls", () => {
    expect(price("aws:secretsmanager/secret:Secret", {})).toEqual([
      ["secret", 0.4],
      ["API calls", 0.05],
    ]);
  });

  it("S3 bucket: assumed storage and requests", () => {
    expect(price("aws:s3/bucket:Bucket", {})).toEqual([
      ["Standard storage", 5],
      ["PUT, COPY, POST, LIST requests", 10],
      ["GET requests", 2],
    ]);
  });

  it("ECR repository: assumed image storage", () => {
    expect(price("aws:ecr/repository:Repository", {})).toEqual([["image storage", 0.5]]);
  });

  it("log group: ingestion, and compressed storage over its retention; flow logs by their own assumption", () => {
    expect(price("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 })).toEqual([
      ["ingestion", 2.5],
      ["storage (0.99 months kept, compressed)", 0.02],
    ]);
    const group = resource("aws:cloudwatch/logGroup:LogGroup", "flow-logs", { retentionInDays: 365 });
    const flowLog = resource("aws:ec2/flowLog:FlowLog", "flow", {}, { logDestination: [group] });
    expect(linesOf(priceIn(group, [flowLog]))).toEqual([
      ["ingestion", 25],
      ["storage (12 months kept, compressed)", 2.7],
    ]);
  });

  it("Kubernetes Service: free, unless it asks the cloud for a load balancer", () => {
    const type = "kubernetes:core/v1:Service";
    expect(price(type, { spec: { type: "ClusterIP" } })).toMatchObject({ kind: "free" });
    expect(price(type, { spec: { type: "LoadBalancer" } })).toMatchObject({ kind: "notPriced" });
  });

  it("has a test above for every type it prices", () => {
    expect([...tested].sort()).toEqual(Object.keys(pricers).sort());
  });
});
