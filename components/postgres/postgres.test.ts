import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { loadServiceRegistry } from "../../services/registry.js";
import { idOf, outputValue, recorded, spec } from "../../test/pulumi.js";
import { Postgres, type PostgresArgs, validatePostgresArgs } from "./postgres.js";

const services = await loadServiceRegistry();
const platform = spec();
const zones = platform.network.zones;
const k8sProvider = new k8s.Provider("k8s", {
  kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
});
const allowed = ["sg-0eks0cluster0000a", "sg-0eks0cluster0000b"];

const args: PostgresArgs = {
  name: "platform-prod-postgres",
  zones,
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-iso-a", "subnet-iso-b", "subnet-iso-c"],
  allowedSecurityGroupIds: allowed,
  services,
  k8sProvider,
  namespace: "platform",
  tags: { owner: "platform-team", "cost-center": "cc-4200" },
  engineVersion: platform.postgres.engineVersion,
  instanceClass: platform.postgres.instanceClass,
  backupRetentionDays: platform.postgres.backupRetentionDays,
  deletionProtection: true,
};

/** The services of the real registry that declare postgres, sorted. */
const declaring = services
  .filter((s) => s.stores.includes("postgres"))
  .map((s) => s.name)
  .sort();

describe("Postgres", () => {
  const pg = new Postgres("pg", args);
  const one = async (type: string) => {
    const [r] = await recorded(type, pg);
    if (!r) throw new Error(`no ${type} under the component`);
    return r;
  };

  it("pins one instance to each of the three zones", async () => {
    const instances = await recorded("aws:rds/clusterInstance:ClusterInstance", pg);
    expect(instances.map((i) => i.inputs["availabilityZone"]).sort()).toEqual([...zones].sort());
    expect(new Set(instances.map((i) => i.inputs["availabilityZone"])).size).toBe(3);
    const cluster = await one("aws:rds/cluster:Cluster");
    for (const i of instances) expect(i.inputs["clusterIdentifier"]).toBe(idOf(cluster));
  });

  it("keeps every instance private, in a subnet group over the isolated subnets", async () => {
    const instances = await recorded("aws:rds/clusterInstance:ClusterInstance", pg);
    expect(instances.map((i) => i.inputs["publiclyAccessible"])).toEqual([false, false, false]);
    const group = await one("aws:rds/subnetGroup:SubnetGroup");
    expect(group.inputs["subnetIds"]).toEqual(args.subnetIds);
    const cluster = await one("aws:rds/cluster:Cluster");
    expect(cluster.inputs["dbSubnetGroupName"]).toBe(group.inputs["name"]);
  });

  it("encrypts storage and Performance Insights with its own rotating KMS key", async () => {
    const keyArn = await outputValue(pg.kmsKey.arn);
    const key = await one("aws:kms/key:Key");
    expect(key.inputs["enableKeyRotation"]).toBe(true);
    const cluster = await one("aws:rds/cluster:Cluster");
    expect(cluster.inputs).toMatchObject({ storageEncrypted: true, kmsKeyId: keyArn });
    const instances = await recorded("aws:rds/clusterInstance:ClusterInstance", pg);
    for (const i of instances)
      expect(i.inputs).toMatchObject({
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: keyArn,
      });
  });

  it("forces TLS through a cluster parameter group of the engine's major version", async () => {
    const params = await one("aws:rds/clusterParameterGroup:ClusterParameterGroup");
    expect(params.inputs["family"]).toBe("aurora-postgresql16");
    expect(params.inputs["parameters"]).toContainEqual(
      expect.objectContaining({ name: "rds.force_ssl", value: "1" }),
    );
    const cluster = await one("aws:rds/cluster:Cluster");
    expect(cluster.inputs["dbClusterParameterGroupName"]).toBe(params.inputs["name"]);
  });

  it("admits only the allowed security groups, only on 5432, with no egress", async () => {
    const sg = await one("aws:ec2/securityGroup:SecurityGroup");
    const cluster = await one("aws:rds/cluster:Cluster");
    expect(cluster.inputs["vpcSecurityGroupIds"]).toEqual([idOf(sg)]);
    const rules = await recorded("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", pg);
    expect(rules.map((r) => r.inputs["referencedSecurityGroupId"]).sort()).toEqual(allowed);
    for (const r of rules) {
      expect(r.inputs).toMatchObject({
        securityGroupId: idOf(sg),
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
      });
      expect(r.inputs["cidrIpv4"]).toBeUndefined();
    }
    expect(await recorded("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", pg)).toEqual([]);
    expect(sg.inputs["ingress"] ?? []).toEqual([]);
    expect(sg.inputs["egress"] ?? []).toEqual([]);
  });

  it("keeps backups for the configured days, exports postgresql logs and uses IAM auth", async () => {
    const cluster = await one("aws:rds/cluster:Cluster");
    expect(cluster.inputs).toMatchObject({
      engine: "aurora-postgresql",
      engineVersion: "16.6",
      backupRetentionPeriod: platform.postgres.backupRetentionDays,
      preferredBackupWindow: "02:00-03:00",
      enabledCloudwatchLogsExports: ["postgresql"],
      iamDatabaseAuthenticationEnabled: true,
      copyTagsToSnapshot: true,
    });
  });

  it("passes deletion protection through and takes a final snapshot on delete", async () => {
    const cluster = await one("aws:rds/cluster:Cluster");
    expect(cluster.inputs).toMatchObject({
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "platform-prod-postgres-final",
    });
  });

  it("creates an owner role, a login role and a database the owner owns for exactly the services that declare postgres", async () => {
    const roles = await recorded("postgresql:index/role:Role", pg);
    expect(roles.map((r) => r.inputs["name"]).sort()).toEqual(
      declaring.flatMap((s) => [`${s}_owner`, `${s}_svc`]),
    );
    for (const r of roles)
      expect(r.inputs).toMatchObject({
        login: true,
        superuser: false,
        createDatabase: false,
        createRole: false,
      });
    const databases = await recorded("postgresql:index/database:Database", pg);
    expect(databases.map((d) => [d.inputs["name"], d.inputs["owner"]]).sort()).toEqual(
      declaring.map((s) => [s, `${s}_owner`]),
    );
    expect(declaring).not.toContain("gateway");
    expect(declaring).not.toContain("search");
  });

  it("revokes every privilege of PUBLIC on each service database and its schema, and lets the login role connect", async () => {
    const grants = await recorded("postgresql:index/grant:Grant", pg);
    const of = (service: string) =>
      grants
        .filter((g) => g.inputs["database"] === service)
        .map((g) => [g.inputs["role"], g.inputs["objectType"], g.inputs["privileges"]]);
    for (const service of declaring)
      expect(of(service)).toEqual(
        expect.arrayContaining([
          ["public", "database", []],
          [`${service}_svc`, "database", ["CONNECT"]],
          ["public", "schema", []],
          [`${service}_owner`, "schema", ["CREATE", "USAGE"]],
          [`${service}_svc`, "schema", ["USAGE"]],
        ]),
      );
  });

  it("gives each login role rows, never the schema: audit's only reads and inserts", async () => {
    const defaults = await recorded("postgresql:index/defaultPrivileges:DefaultPrivileges", pg);
    const of = (service: string, objectType: string) =>
      defaults.find((d) => d.inputs["database"] === service && d.inputs["objectType"] === objectType)!.inputs;
    expect(of("audit", "table")).toMatchObject({
      owner: "audit_owner",
      role: "audit_svc",
      schema: "public",
      privileges: ["SELECT", "INSERT"],
    });
    expect(of("audit", "sequence")["privileges"]).toEqual(["USAGE"]);
    expect(of("orders", "table")["privileges"]).toEqual(["SELECT", "INSERT", "UPDATE", "DELETE"]);
    expect(defaults).toHaveLength(declaring.length * 2);
  });

  it("manages roles over TLS as a non-superuser", async () => {
    const [provider] = await recorded("pulumi:providers:postgresql", pg);
    expect(provider?.inputs).toMatchObject({ sslmode: "require", username: "platform_admin" });
    expect(String(provider?.inputs["superuser"])).toBe("false");
  });

  it("hands each declaring service labelled Secrets <service>-postgres and <service>-postgres-owner", async () => {
    const secrets = await recorded("kubernetes:core/v1:Secret", pg);
    expect(secrets.map((s) => (s.inputs["metadata"] as { name: string }).name).sort()).toEqual(
      declaring.flatMap((s) => [`${s}-postgres`, `${s}-postgres-owner`]),
    );
    for (const s of secrets) {
      const metadata = s.inputs["metadata"] as {
        name: string;
        namespace: string;
        labels: Record<string, string>;
      };
      expect(metadata.namespace).toBe("platform");
      expect(metadata.name).toMatch(
        new RegExp(`^${metadata.labels["app.kubernetes.io/name"]}-postgres(-owner)?$`),
      );
      expect(s.inputs["stringData"]).toBe("[secret]");
    }
    expect(pg.secretNames).toEqual(Object.fromEntries(declaring.map((s) => [s, `${s}-postgres`])));
  });

  it("never shows a password in plain text", async () => {
    const master = await outputValue(pg.cluster.masterPassword);
    expect(master).toMatch(/^pw-/);
    const all = JSON.stringify(await recorded(undefined, pg));
    expect(all).not.toContain(master);
    // Every password the mocks generate looks like pw-<hex>; none may appear anywhere.
    expect(all).not.toMatch(/pw-[0-9a-f]{8,}/);
    const cluster = await one("aws:rds/cluster:Cluster");
    expect(cluster.inputs["masterPassword"]).toBe("[secret]");
    for (const r of await recorded("postgresql:index/role:Role", pg))
      expect(r.inputs["password"]).toBe("[secret]");
  });

  it("tags every taggable AWS child", async () => {
    const untaggable = new Set(["aws:kms/alias:Alias", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]);
    const children = (await recorded(undefined, pg)).filter(
      (r) => r.type.startsWith("aws:") && !untaggable.has(r.type),
    );
    expect(children.length).toBeGreaterThan(8);
    for (const c of children)
      expect(c.inputs["tags"], c.name).toMatchObject({ owner: "platform-team", Name: c.name });
  });
});

describe("Postgres without deletion protection", () => {
  const pg = new Postgres("pg-staging", {
    ...args,
    name: "platform-staging-postgres",
    deletionProtection: false,
  });

  it("passes deletion protection false through", async () => {
    const [cluster] = await recorded("aws:rds/cluster:Cluster", pg);
    expect(cluster?.inputs["deletionProtection"]).toBe(false);
  });
});

describe("validatePostgresArgs", () => {
  it("refuses two zones", () => {
    expect(() => validatePostgresArgs({ ...args, zones: zones.slice(0, 2) })).toThrow(
      /exactly 3 availability zones/,
    );
  });

  it("refuses a subnet count other than one per zone", () => {
    expect(() => validatePostgresArgs({ ...args, subnetIds: ["subnet-a", "subnet-b"] })).toThrow(
      /one per availability zone \(3\), got 2/,
    );
  });

  it("refuses backups kept fewer than 7 days", () => {
    expect(() => validatePostgresArgs({ ...args, backupRetentionDays: 3 })).toThrow(/7 to 35/);
  });

  it("refuses an empty list of allowed security groups", () => {
    expect(() => validatePostgresArgs({ ...args, allowedSecurityGroupIds: [] })).toThrow(/at least one/);
  });

  it("refuses a service whose database name is reserved", () => {
    const postgres = { ...services[0]!, name: "postgres", stores: ["postgres" as const] };
    expect(() => validatePostgresArgs({ ...args, services: [postgres] })).toThrow(/reserved database/);
  });
});
