import { describe, expect, it } from "vitest";
import { changed, check, messages, resource } from "../test/fixtures.js";
import { dataStoresEncrypted, dataStoresNotPublic } from "./data-stores.js";

const group = resource("aws:ec2/securityGroup:SecurityGroup", "db-sg", { ingress: [] });
const fromCluster = resource(
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "db-from-cluster",
  { fromPort: 5432, referencedSecurityGroupId: "sg-cluster", securityGroupId: "sg-db" },
  { securityGroupId: [group] },
);
const params = resource("aws:rds/clusterParameterGroup:ClusterParameterGroup", "db-params", {
  parameters: [{ name: "rds.force_ssl", value: "1" }],
});
const cluster = resource(
  "aws:rds/cluster:Cluster",
  "db",
  { storageEncrypted: true, kmsKeyId: "arn:aws:kms:key", vpcSecurityGroupIds: ["sg-db"] },
  { vpcSecurityGroupIds: [group], dbClusterParameterGroupName: [params] },
);
const instance = resource("aws:rds/clusterInstance:ClusterInstance", "db-a", { publiclyAccessible: false });
const kafka = resource("aws:msk/cluster:Cluster", "kafka", {
  brokerNodeGroupInfo: { connectivityInfo: { publicAccess: { type: "DISABLED" } } },
  encryptionInfo: {
    encryptionAtRestKmsKeyArn: "arn",
    encryptionInTransit: { clientBroker: "TLS", inCluster: true },
  },
});
const search = resource("aws:opensearch/domain:Domain", "search", {
  vpcOptions: { subnetIds: ["subnet-a"] },
  encryptAtRest: { enabled: true },
  nodeToNodeEncryption: { enabled: true },
  domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
});
const redis = resource("aws:elasticache/replicationGroup:ReplicationGroup", "redis", {
  atRestEncryptionEnabled: true,
  kmsKeyId: "arn",
  transitEncryptionEnabled: true,
  transitEncryptionMode: "required",
});
const stores = [group, fromCluster, params, cluster, instance, kafka, search, redis];

describe("data-stores-not-public", () => {
  it("passes stores reachable only from another security group", async () => {
    expect(messages(await check(dataStoresNotPublic, stores))).toEqual([]);
  });

  it("flags a publicly accessible instance, public MSK, an OpenSearch domain outside the VPC", async () => {
    const exposed = [
      changed(instance, (r) => (r.inputs["publiclyAccessible"] = true)),
      changed(
        kafka,
        (r) =>
          (r.inputs["brokerNodeGroupInfo"] = {
            connectivityInfo: { publicAccess: { type: "SERVICE_PROVIDED_EIPS" } },
          }),
      ),
      changed(search, (r) => delete r.inputs["vpcOptions"]),
    ];
    expect(messages(await check(dataStoresNotPublic, exposed))).toEqual([
      "publiclyAccessible is true; data stores stay private",
      "MSK public access is SERVICE_PROVIDED_EIPS; it must be DISABLED",
      "the OpenSearch domain has no vpcOptions, so its endpoint is public",
    ]);
  });

  it("flags a store's security group admitting an internet range, inline or as a rule resource", async () => {
    const open = changed(fromCluster, (r) => (r.inputs["cidrIpv4"] = "0.0.0.0/0"));
    const inline = changed(
      group,
      (r) => (r.inputs["ingress"] = [{ cidrBlocks: ["10.0.0.0/8", "203.0.113.0/24"] }]),
    );
    const run = await check(dataStoresNotPublic, [inline, open, params, cluster]);
    expect(messages(run)).toEqual([
      "db-sg admits 203.0.113.0/24, outside private address space",
      "db-sg admits 0.0.0.0/0, outside private address space",
    ]);
    expect(run.violations[1]!.urn).toBe(open.urn);
  });
});

describe("data-stores-encrypted", () => {
  it("passes stores encrypted at rest with their own keys and in transit", async () => {
    expect(messages(await check(dataStoresEncrypted, stores))).toEqual([]);
  });

  it("names each missing protection", async () => {
    const weak = [
      changed(cluster, (r) => {
        r.inputs["storageEncrypted"] = false;
        r.dependencies = {};
      }),
      changed(redis, (r) => (r.inputs["transitEncryptionMode"] = "preferred")),
      changed(
        search,
        (r) =>
          (r.inputs["domainEndpointOptions"] = {
            enforceHttps: true,
            tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07",
          }),
      ),
      changed(
        kafka,
        (r) => (r.inputs["encryptionInfo"] = { encryptionInTransit: { clientBroker: "TLS_PLAINTEXT" } }),
      ),
    ];
    expect(messages(await check(dataStoresEncrypted, weak))).toEqual([
      "db: storageEncrypted is not true; its cluster parameter group does not set rds.force_ssl=1",
      "redis: transitEncryptionMode is preferred, not required",
      "search: tlsSecurityPolicy allows TLS below 1.2",
      "kafka: no customer-managed encryptionAtRestKmsKeyArn; clientBroker is TLS_PLAINTEXT",
    ]);
  });
});
