import { beforeAll, describe, expect, it } from "vitest";
import { PlanIndex } from "../scripts/plan/plan-index.js";
import type { Plan, PlannedResource } from "../scripts/plan/plan-types.js";
import { countByType } from "../scripts/plan/report.js";
import { planStack } from "../scripts/plan/run.js";
import program from "./index.js";

/** The whole program, planned offline exactly as `npm run plan` does, checked as a whole. */
let prod: Plan;
let prodAgain: Plan;
let staging: Plan;
let index: PlanIndex;

beforeAll(async () => {
  prod = await planStack("prod", program);
  staging = await planStack("staging", program);
  prodAgain = await planStack("prod", program);
  index = new PlanIndex(prod);
}, 120_000);

const zonesOfStack = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const tierOf = (subnet: PlannedResource) =>
  (subnet.inputs["tags"] as Record<string, string>)["platform.io/tier"];

describe("the prod and staging plans", () => {
  it("declare the whole platform in both stacks", () => {
    for (const plan of [prod, staging]) {
      const types = new Set(plan.resources.map((r) => r.type));
      for (const component of [
        "platform:network:Network",
        "platform:cluster:Cluster",
        "platform:data:Postgres",
        "platform:data:Redis",
        "platform:data:Search",
        "platform:data:Kafka",
        "platform:edge:Edge",
        "platform:observability:Observability",
        "platform:observability:Alerting",
      ]) {
        expect(types, `${plan.stack} lacks ${component}`).toContain(component);
      }
    }
  });

  it("give staging the same shape as prod: the same resource types, as many of each", () => {
    expect(countByType(staging)).toEqual(countByType(prod));
  });

  it("never repeat a URN (the engine would refuse it)", () => {
    for (const plan of [prod, staging]) {
      const urns = plan.resources.map((r) => r.urn);
      expect(urns.length).toBe(new Set(urns).size);
    }
  });

  it("are identical when prod is planned twice", () => {
    expect(JSON.stringify(prodAgain)).toBe(JSON.stringify(prod));
  });

  it("show no secret value in plain text", () => {
    const text = JSON.stringify(prod);
    expect(text).not.toMatch(/"pw-[0-9a-f]{6,}/);
    expect(text).not.toContain("offline-placeholder-for-cloudflare");
    expect(text).not.toContain("offline-placeholder-for-grafana");
    expect(text).not.toContain("offline-placeholder-for-pagerduty");
  });
});

describe("zones", () => {
  it.each([
    ["aws:eks/cluster:Cluster"],
    ["aws:msk/cluster:Cluster"],
    ["aws:opensearch/domain:Domain"],
    ["aws:elasticache/replicationGroup:ReplicationGroup"],
    ["aws:rds/subnetGroup:SubnetGroup"],
    ["aws:elasticache/subnetGroup:SubnetGroup"],
    ["aws:lb/loadBalancer:LoadBalancer"],
  ])("spread every %s over exactly the three zones of the stack, evenly", (type) => {
    const resources = index.ofType(type);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(index.zonesOf(r), r.urn).toEqual(zonesOfStack);
  });

  it.each([
    ["aws:ec2/natGateway:NatGateway"],
    ["aws:eks/nodeGroup:NodeGroup"],
    ["aws:rds/clusterInstance:ClusterInstance"],
  ])("put one %s in each zone", (type) => {
    const placed = index.ofType(type).map((r) => index.zonesOf(r));
    expect(placed.every((zones) => zones?.length === 1)).toBe(true);
    expect(placed.flat().sort()).toEqual(zonesOfStack);
  });

  it("give each subnet tier one subnet per zone", () => {
    const subnets = index.ofType("aws:ec2/subnet:Subnet");
    for (const tier of ["public", "private", "isolated"]) {
      expect(
        subnets
          .filter((s) => tierOf(s) === tier)
          .flatMap((s) => index.zonesOf(s))
          .sort(),
      ).toEqual(zonesOfStack);
    }
  });
});

describe("data stores", () => {
  const stores = {
    postgres: "aws:rds/cluster:Cluster",
    redis: "aws:elasticache/replicationGroup:ReplicationGroup",
    search: "aws:opensearch/domain:Domain",
    kafka: "aws:msk/cluster:Cluster",
  };
  const only = (type: string) => {
    const [resource, ...rest] = index.ofType(type);
    expect(rest).toEqual([]);
    return resource!;
  };

  it("live only in subnets without a route from the internet", () => {
    const placedIn = (r: PlannedResource, property: string) =>
      index.dependencies(r, property, "aws:ec2/subnet:Subnet");
    const subnets = [
      ...index.ofType("aws:rds/subnetGroup:SubnetGroup").flatMap((g) => placedIn(g, "subnetIds")),
      ...index.ofType("aws:elasticache/subnetGroup:SubnetGroup").flatMap((g) => placedIn(g, "subnetIds")),
      ...placedIn(only(stores.search), "vpcOptions"),
      ...placedIn(only(stores.kafka), "brokerNodeGroupInfo"),
    ];
    expect(subnets).toHaveLength(12);
    for (const subnet of subnets) expect(["isolated", "private"]).toContain(tierOf(subnet));
  });

  it("are never publicly accessible", () => {
    for (const instance of index.ofType("aws:rds/clusterInstance:ClusterInstance")) {
      expect(instance.inputs["publiclyAccessible"]).toBe(false);
    }
    expect(only(stores.kafka).inputs["brokerNodeGroupInfo"]).toMatchObject({
      connectivityInfo: { publicAccess: { type: "DISABLED" } },
    });
    expect(only(stores.search).inputs["vpcOptions"]).toBeDefined();
  });

  it("admit traffic only from security groups, never from an address range", () => {
    const storeGroups = Object.values(stores).flatMap((type) =>
      index.dependencies(
        only(type),
        type === stores.kafka
          ? "brokerNodeGroupInfo"
          : type === stores.search
            ? "vpcOptions"
            : type === stores.redis
              ? "securityGroupIds"
              : "vpcSecurityGroupIds",
        "aws:ec2/securityGroup:SecurityGroup",
      ),
    );
    expect(storeGroups).toHaveLength(4);
    const rules = index.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    for (const group of storeGroups) {
      expect(group.inputs["ingress"] ?? []).toEqual([]);
      const own = rules.filter((rule) =>
        index.dependencies(rule, "securityGroupId").some((g) => g.urn === group.urn),
      );
      expect(own.length, group.urn).toBeGreaterThan(0);
      for (const rule of own) {
        expect(rule.inputs["cidrIpv4"], rule.urn).toBeUndefined();
        expect(rule.inputs["cidrIpv6"], rule.urn).toBeUndefined();
        expect(rule.inputs["referencedSecurityGroupId"], rule.urn).toBeTruthy();
      }
    }
  });

  it("are encrypted at rest with customer-managed keys", () => {
    const postgres = only(stores.postgres).inputs;
    expect(postgres["storageEncrypted"]).toBe(true);
    expect(postgres["kmsKeyId"]).toBeTruthy();
    expect(only(stores.redis).inputs).toMatchObject({ atRestEncryptionEnabled: true });
    expect(only(stores.redis).inputs["kmsKeyId"]).toBeTruthy();
    expect(only(stores.search).inputs["encryptAtRest"]).toMatchObject({ enabled: true });
    expect(only(stores.kafka).inputs["encryptionInfo"]).toHaveProperty("encryptionAtRestKmsKeyArn");
  });

  it("are encrypted in transit", () => {
    const params = index
      .ofType("aws:rds/clusterParameterGroup:ClusterParameterGroup")
      .flatMap((g) => g.inputs["parameters"] as { name: string; value: string }[]);
    expect(params).toContainEqual(expect.objectContaining({ name: "rds.force_ssl", value: "1" }));
    expect(only(stores.redis).inputs["transitEncryptionEnabled"]).toBe(true);
    expect(only(stores.search).inputs).toMatchObject({
      nodeToNodeEncryption: { enabled: true },
      domainEndpointOptions: { enforceHttps: true },
    });
    expect(only(stores.kafka).inputs["encryptionInfo"]).toMatchObject({
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
    });
  });

  it("protect prod's database from deletion and leave staging's deletable", () => {
    expect(only(stores.postgres).inputs["deletionProtection"]).toBe(true);
    const stagingDb = new PlanIndex(staging).ofType(stores.postgres)[0]!;
    expect(stagingDb.inputs["deletionProtection"]).toBe(false);
  });
});
