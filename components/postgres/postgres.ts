import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RegisteredService } from "../../services/registry.js";
import { type DataStoreArgs, validateDataStoreArgs } from "../shared/data-store.js";
import { createEncryptionKey } from "../shared/kms.js";
import { createLogGroup } from "../shared/log-group.js";
import { createServiceSecret } from "../shared/service-secret.js";
import { createStoreSecurityGroup } from "../shared/store-security-group.js";
import { tagged } from "../shared/tags.js";
import { invalid, requireWholeNumber } from "../shared/validation.js";
import {
  type ClientSslMode,
  clusterParameterGroupFamily,
  clusterParameters,
  connectionUrl,
  loginRolePrivileges,
  majorVersion,
  masterUsername,
  postgresNames,
  postgresPort,
  reservedDatabaseNames,
} from "./postgres-plan.js";

/**
 * Where the cluster runs (three zones, the isolated subnets, one per zone), who reaches it
 * (`allowedSecurityGroupIds`, on 5432 only) and where its Secrets go: every service whose
 * `stores` include "postgres" gets a role, a database and a Secret in `namespace`.
 */
export interface PostgresArgs extends DataStoreArgs {
  /**
   * The physical name of the cluster (its identifier; instances add `-<zone>`, the final
   * snapshot `-final`), e.g. "platform-prod-postgres": lowercase letters, digits and single
   * hyphens, starting with a letter, at most 40 characters.
   */
  readonly name: string;
  /** The Aurora PostgreSQL version, e.g. "16.6"; 13 or newer. */
  readonly engineVersion: string;
  /** The instance class of each of the three instances, e.g. "db.r7g.large". */
  readonly instanceClass: string;
  /** Days of automated backups, and so of point-in-time recovery, 7 to 35. */
  readonly backupRetentionDays: number;
  /** Refuse deletion of the cluster (default true; the stack spec sets it per environment). */
  readonly deletionProtection?: boolean;
  /** The daily backup window in UTC (default "02:00-03:00"); must not overlap the maintenance window. */
  readonly backupWindow?: string;
  /** The weekly maintenance window in UTC (default "sun:04:00-sun:05:00"). */
  readonly maintenanceWindow?: string;
  /** Days the exported `postgresql` log is kept in CloudWatch (default 90). */
  readonly logRetentionDays?: number;
  /** The most concurrent connections each service role may open (default 200). */
  readonly connectionLimitPerService?: number;
  /** The most concurrent connections each database owner may open: migrations only (default 10). */
  readonly connectionLimitPerOwner?: number;
  /**
   * The `sslmode` in each service's Secret and URL (default "verify-full": the client must
   * trust the RDS CA bundle, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem).
   */
  readonly clientSslMode?: ClientSslMode;
}

const defaults = {
  deletionProtection: true,
  backupWindow: "02:00-03:00",
  maintenanceWindow: "sun:04:00-sun:05:00",
  logRetentionDays: 90,
  connectionLimitPerService: 200,
  connectionLimitPerOwner: 10,
  clientSslMode: "verify-full",
} as const;

const identifierPattern = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

/** The services that declare the store "postgres", in registry order. */
export function postgresServices(services: readonly RegisteredService[]): RegisteredService[] {
  return services.filter((s) => s.stores.includes("postgres"));
}

export function validatePostgresArgs(args: PostgresArgs): void {
  validateDataStoreArgs(args);
  if (!identifierPattern.test(args.name) || args.name.length > 40)
    invalid(
      "name",
      `"${args.name}" is not a cluster identifier: lowercase letters, digits and single hyphens, starting with a letter, at most 40 characters`,
    );
  if (!/^\d+\.\d+$/.test(args.engineVersion) || majorVersion(args.engineVersion) < 13)
    invalid(
      "engineVersion",
      `expected an Aurora PostgreSQL version 13 or newer such as "16.6", got "${args.engineVersion}"`,
    );
  if (!args.instanceClass.startsWith("db."))
    invalid(
      "instanceClass",
      `expected an RDS instance class such as "db.r7g.large", got "${args.instanceClass}"`,
    );
  requireWholeNumber(args.backupRetentionDays, "backupRetentionDays", { min: 7, max: 35, unit: "days" });
  if (args.connectionLimitPerService !== undefined && !(args.connectionLimitPerService > 0))
    invalid("connectionLimitPerService", "expected a positive number of connections");
  for (const service of postgresServices(args.services)) {
    const { database } = postgresNames(service.name);
    if (reservedDatabaseNames.includes(database))
      invalid(
        "services",
        `service "${service.name}" would own the reserved database "${database}"; rename it`,
      );
  }
}

/**
 * Aurora PostgreSQL across three availability zones for the services that declare
 * "postgres": one writer and two readers, each pinned to a zone in the isolated subnets,
 * encrypted at rest with its own KMS key and reachable only over TLS from the EKS cluster.
 * Each service gets a database that nobody else may connect to, owned by its owner role
 * (which runs migrations; Secret `<service>-postgres-owner`, read by the pod's `migrate`
 * init container only), and a login role the service serves as, which may do to rows what
 * its `databaseAccess` allows and never change the schema (Secret `<service>-postgres`).
 *
 * The roles and databases are made over SQL by Pulumi's postgresql provider, so whoever
 * runs `pulumi up` must reach the cluster endpoint inside the VPC (a runner in the VPC or a
 * tunnel through it).
 */
export class Postgres extends pulumi.ComponentResource {
  static readonly type = "platform:data:Postgres";

  readonly kmsKey: aws.kms.Key;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly cluster: aws.rds.Cluster;
  readonly instances: readonly aws.rds.ClusterInstance[];
  /** The writer endpoint. */
  readonly endpoint: pulumi.Output<string>;
  /** The load-balanced endpoint over the two readers. */
  readonly readerEndpoint: pulumi.Output<string>;
  /** The Kubernetes Secret of each service, by service name, e.g. `{ catalog: "catalog-postgres" }`. */
  readonly secretNames: Readonly<Record<string, string>>;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    validatePostgresArgs(args);
    const services = postgresServices(args.services);
    super(
      Postgres.type,
      name,
      {
        name: args.name,
        zones: [...args.zones],
        engineVersion: args.engineVersion,
        instanceClass: args.instanceClass,
        services: services.map((s) => s.name),
      },
      opts,
    );
    const settings = {
      deletionProtection: args.deletionProtection ?? defaults.deletionProtection,
      backupWindow: args.backupWindow ?? defaults.backupWindow,
      maintenanceWindow: args.maintenanceWindow ?? defaults.maintenanceWindow,
      logRetentionDays: args.logRetentionDays ?? defaults.logRetentionDays,
      connectionLimitPerService: args.connectionLimitPerService ?? defaults.connectionLimitPerService,
      connectionLimitPerOwner: args.connectionLimitPerOwner ?? defaults.connectionLimitPerOwner,
      clientSslMode: args.clientSslMode ?? defaults.clientSslMode,
    };
    const tags = (child: string) => tagged(args.tags, child);

    this.kmsKey = createEncryptionKey(
      `${name}-kms`,
      {
        description: `Encrypts the Aurora cluster ${args.name} at rest: storage, snapshots and Performance Insights`,
        alias: `alias/${args.name}`,
        tags: args.tags,
      },
      this,
    );
    this.securityGroup = createStoreSecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `Aurora PostgreSQL ${args.name}: ${postgresPort} from the EKS cluster only`,
        ports: [{ port: postgresPort, description: "PostgreSQL from the EKS cluster" }],
        allowedSecurityGroupIds: args.allowedSecurityGroupIds,
        tags: args.tags,
      },
      this,
    );

    const subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      {
        name: args.name,
        description: `Isolated subnets of ${args.name}`,
        subnetIds: [...args.subnetIds],
        tags: tags(`${name}-subnets`),
      },
      { parent: this },
    );
    const parameterGroup = new aws.rds.ClusterParameterGroup(
      `${name}-params`,
      {
        // The family is in the name, so a major upgrade creates the new group before it drops the old.
        name: `${args.name}-${clusterParameterGroupFamily(args.engineVersion)}`,
        family: clusterParameterGroupFamily(args.engineVersion),
        description: `TLS-only connections and incident logging for ${args.name}`,
        parameters: clusterParameters.map((p) => ({ ...p })),
        tags: tags(`${name}-params`),
      },
      { parent: this },
    );
    // Created before the cluster so that RDS writes into it and the retention is ours.
    const logGroup = createLogGroup(
      `${name}-postgresql`,
      {
        logGroupName: `/aws/rds/cluster/${args.name}/postgresql`,
        retentionInDays: settings.logRetentionDays,
        tags: args.tags,
      },
      this,
    );
    const monitoringRole = new aws.iam.Role(
      `${name}-monitoring`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "monitoring.rds.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
        tags: tags(`${name}-monitoring`),
      },
      { parent: this },
    );
    const monitoringPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-monitoring`,
      { role: monitoringRole.name, policyArn: aws.iam.ManagedPolicy.AmazonRDSEnhancedMonitoringRole },
      { parent: this },
    );

    const masterPassword = new random.RandomPassword(
      `${name}-master-password`,
      { length: 48, special: false },
      { parent: this },
    );

    this.cluster = new aws.rds.Cluster(
      name,
      {
        clusterIdentifier: args.name,
        engine: aws.rds.EngineType.AuroraPostgresql,
        engineVersion: args.engineVersion,
        availabilityZones: [...args.zones],
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        dbClusterParameterGroupName: parameterGroup.name,
        port: postgresPort,
        masterUsername,
        masterPassword: pulumi.secret(masterPassword.result),
        iamDatabaseAuthenticationEnabled: true,
        storageEncrypted: true,
        kmsKeyId: this.kmsKey.arn,
        // Aurora's continuous backups give point-in-time recovery to any second of the
        // retention period; the daily snapshot is taken in the backup window.
        backupRetentionPeriod: args.backupRetentionDays,
        preferredBackupWindow: settings.backupWindow,
        preferredMaintenanceWindow: settings.maintenanceWindow,
        copyTagsToSnapshot: true,
        deletionProtection: settings.deletionProtection,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${args.name}-final`,
        enabledCloudwatchLogsExports: ["postgresql"],
        tags: tags(name),
      },
      { parent: this, dependsOn: [logGroup] },
    );

    // The first instance created becomes the writer; the others are readers, one per zone.
    this.instances = args.zones.map(
      (zone, i) =>
        new aws.rds.ClusterInstance(
          `${name}-${zone}`,
          {
            identifier: `${args.name}-${zone}`,
            clusterIdentifier: this.cluster.id,
            engine: aws.rds.EngineType.AuroraPostgresql,
            engineVersion: this.cluster.engineVersion,
            instanceClass: args.instanceClass,
            availabilityZone: zone,
            dbSubnetGroupName: subnetGroup.name,
            publiclyAccessible: false,
            promotionTier: i,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            autoMinorVersionUpgrade: true,
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: this.kmsKey.arn,
            performanceInsightsRetentionPeriod: 7,
            monitoringInterval: 60,
            monitoringRoleArn: monitoringRole.arn,
            preferredMaintenanceWindow: settings.maintenanceWindow,
            copyTagsToSnapshot: true,
            tags: tags(`${name}-${zone}`),
          },
          { parent: this, dependsOn: [monitoringPolicy] },
        ),
    );
    this.endpoint = this.cluster.endpoint;
    this.readerEndpoint = this.cluster.readerEndpoint;

    // SQL over TLS as the master user, who is not a superuser on RDS (rds_superuser only).
    const sql = new postgresql.Provider(
      `${name}-sql`,
      {
        host: this.cluster.endpoint,
        port: this.cluster.port,
        database: "postgres",
        username: this.cluster.masterUsername,
        password: pulumi.secret(masterPassword.result),
        sslmode: "require",
        superuser: false,
        connectTimeout: 30,
        expectedVersion: args.engineVersion,
      },
      { parent: this, dependsOn: [...this.instances] },
    );

    const secretNames: Record<string, string> = {};
    const sqlOpts = { parent: this, provider: sql };
    for (const service of services) {
      const names = postgresNames(service.name);
      /** A login role with its generated password, and the Secret that tells the pod how to connect as it. */
      const loginRole = (resource: string, roleName: string, secretName: string, connectionLimit: number) => {
        const password = new random.RandomPassword(
          `${resource}-password`,
          { length: 48, special: false },
          { parent: this },
        );
        const secretPassword = pulumi.secret(password.result);
        const role = new postgresql.Role(
          resource,
          {
            name: roleName,
            login: true,
            password: secretPassword,
            superuser: false,
            createDatabase: false,
            createRole: false,
            replication: false,
            bypassRowLevelSecurity: false,
            connectionLimit,
          },
          sqlOpts,
        );
        return { resource, role, password: secretPassword, secretName };
      };
      const owner = loginRole(
        `${name}-${service.name}-owner`,
        names.owner,
        names.ownerSecret,
        settings.connectionLimitPerOwner,
      );
      const login = loginRole(
        `${name}-${service.name}`,
        names.role,
        names.secret,
        settings.connectionLimitPerService,
      );
      // The owner owns the database and everything in it, and runs the migrations; the
      // service serves as its login role, which may only do to rows what its access allows.
      const database = new postgresql.Database(
        `${name}-${service.name}`,
        { name: names.database, owner: owner.role.name, encoding: "UTF8", template: "template0" },
        sqlOpts,
      );
      // Nobody but the owner, the login role (and the master user) may even connect.
      new postgresql.Grant(
        `${name}-${service.name}-revoke-public`,
        { database: database.name, role: "public", objectType: "database", privileges: [] },
        sqlOpts,
      );
      new postgresql.Grant(
        `${name}-${service.name}-connect`,
        { database: database.name, role: login.role.name, objectType: "database", privileges: ["CONNECT"] },
        sqlOpts,
      );
      // Only the owner creates in the schema (PostgreSQL before 15 let PUBLIC create there).
      const schemaGrant = (suffix: string, role: pulumi.Input<string>, privileges: string[]) =>
        new postgresql.Grant(
          `${name}-${service.name}-schema-${suffix}`,
          { database: database.name, schema: "public", role, objectType: "schema", privileges },
          sqlOpts,
        );
      schemaGrant("public", "public", []);
      schemaGrant("owner", owner.role.name, ["CREATE", "USAGE"]);
      schemaGrant("login", login.role.name, ["USAGE"]);
      const privileges = loginRolePrivileges(service.databaseAccess);
      for (const [objectType, granted] of [
        ["table", privileges.tables],
        ["sequence", privileges.sequences],
      ] as const)
        new postgresql.DefaultPrivileges(
          `${name}-${service.name}-${objectType}s`,
          {
            database: database.name,
            schema: "public",
            owner: owner.role.name,
            role: login.role.name,
            objectType,
            privileges: [...granted],
          },
          sqlOpts,
        );

      const host = this.cluster.endpoint;
      for (const { resource, role, password, secretName } of [login, owner]) {
        const url = pulumi.all([host, database.name, role.name, password]).apply(([h, db, user, pw]) =>
          connectionUrl({
            host: h,
            port: postgresPort,
            database: db,
            username: user,
            password: pw,
            sslmode: settings.clientSslMode,
          }),
        );
        createServiceSecret(
          resource,
          {
            service: service.name,
            store: "postgres",
            secretName,
            namespace: args.namespace,
            stringData: {
              host,
              port: String(postgresPort),
              database: database.name,
              username: role.name,
              password,
              sslmode: settings.clientSslMode,
              url: pulumi.secret(url),
            },
          },
          this,
          args.k8sProvider,
        );
      }
      secretNames[service.name] = names.secret;
    }
    this.secretNames = secretNames;

    this.registerOutputs({
      clusterArn: this.cluster.arn,
      endpoint: this.endpoint,
      readerEndpoint: this.readerEndpoint,
      securityGroupId: this.securityGroup.id,
      kmsKeyArn: this.kmsKey.arn,
      secretNames: this.secretNames,
    });
  }
}
