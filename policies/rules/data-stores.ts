/**
 * Data stores are never reachable from the internet and never carry data in the clear:
 * Aurora PostgreSQL, ElastiCache Redis, OpenSearch and MSK, with what protects each.
 */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { isPrivateCidr } from "../lib/cidr.js";
import { asArray, at, dependenciesOf } from "../lib/policy-kit.js";
import { admissionsOf, groupsVia } from "../lib/security-groups.js";

export const storeTypes = {
  auroraCluster: "aws:rds/cluster:Cluster",
  auroraInstance: "aws:rds/clusterInstance:ClusterInstance",
  rdsInstance: "aws:rds/instance:Instance",
  redis: "aws:elasticache/replicationGroup:ReplicationGroup",
  search: "aws:opensearch/domain:Domain",
  kafka: "aws:msk/cluster:Cluster",
} as const;

/** The property through which each store depends on its security groups. */
const groupProperty: Record<string, string> = {
  [storeTypes.auroraCluster]: "vpcSecurityGroupIds",
  [storeTypes.rdsInstance]: "vpcSecurityGroupIds",
  [storeTypes.redis]: "securityGroupIds",
  [storeTypes.search]: "vpcOptions",
  [storeTypes.kafka]: "brokerNodeGroupInfo",
};

function publicFlags(store: PolicyResource, report: ReportViolation) {
  const p = store.props;
  if (p["publiclyAccessible"] === true)
    report("publiclyAccessible is true; data stores stay private", store.urn);
  const kafkaAccess = at(p, "brokerNodeGroupInfo.connectivityInfo.publicAccess.type");
  if (store.type === storeTypes.kafka && kafkaAccess !== undefined && kafkaAccess !== "DISABLED") {
    report(`MSK public access is ${String(kafkaAccess)}; it must be DISABLED`, store.urn);
  }
  if (store.type === storeTypes.search && asArray(at(p, "vpcOptions.subnetIds") as string[]).length === 0) {
    report("the OpenSearch domain has no vpcOptions, so its endpoint is public", store.urn);
  }
}

export const dataStoresNotPublic: StackValidationPolicy = {
  name: "data-stores-not-public",
  description: "No data store is publicly accessible or admits an internet address range.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const stores = args.resources.filter((r) => Object.values(storeTypes).includes(r.type as never));
    if (stores.length === 0) args.notApplicable("no data stores");
    for (const store of stores) {
      publicFlags(store, report);
      const property = groupProperty[store.type];
      for (const group of property ? groupsVia(store, property) : []) {
        for (const admitted of admissionsOf(group, args.resources)) {
          if (admitted.cidr !== undefined && !isPrivateCidr(admitted.cidr)) {
            report(
              `${group.name} admits ${admitted.cidr}, outside private address space`,
              admitted.declaredBy,
            );
          }
        }
      }
    }
  },
};

interface Parameter {
  name?: string;
  value?: string;
}

function forcesTls(store: PolicyResource, property: string): boolean {
  const groups = dependenciesOf(store, property).filter((g) => g.type.includes("arameterGroup"));
  return groups.some((g) =>
    asArray(g.props["parameters"] as Parameter[]).some(
      (p) => p.name === "rds.force_ssl" && String(p.value) === "1",
    ),
  );
}

/** What each store must say about encryption; each returned string is a missing protection. */
const encryptionGaps: Record<string, (store: PolicyResource) => string[]> = {
  [storeTypes.auroraCluster]: (s) => [
    ...(s.props["storageEncrypted"] === true ? [] : ["storageEncrypted is not true"]),
    ...(s.props["kmsKeyId"] ? [] : ["no customer-managed kmsKeyId"]),
    ...(forcesTls(s, "dbClusterParameterGroupName")
      ? []
      : ["its cluster parameter group does not set rds.force_ssl=1"]),
  ],
  [storeTypes.rdsInstance]: (s) => [
    ...(s.props["storageEncrypted"] === true ? [] : ["storageEncrypted is not true"]),
    ...(forcesTls(s, "parameterGroupName") ? [] : ["its parameter group does not set rds.force_ssl=1"]),
  ],
  [storeTypes.redis]: (s) => [
    ...(s.props["atRestEncryptionEnabled"] === true ? [] : ["atRestEncryptionEnabled is not true"]),
    ...(s.props["kmsKeyId"] ? [] : ["no customer-managed kmsKeyId"]),
    ...(s.props["transitEncryptionEnabled"] === true ? [] : ["transitEncryptionEnabled is not true"]),
    ...(s.props["transitEncryptionMode"] === "preferred"
      ? ["transitEncryptionMode is preferred, not required"]
      : []),
  ],
  [storeTypes.search]: (s) => [
    ...(at(s.props, "encryptAtRest.enabled") === true ? [] : ["encryptAtRest is not enabled"]),
    ...(at(s.props, "nodeToNodeEncryption.enabled") === true ? [] : ["nodeToNodeEncryption is not enabled"]),
    ...(at(s.props, "domainEndpointOptions.enforceHttps") === true ? [] : ["HTTPS is not enforced"]),
    ...(/^Policy-Min-TLS-1-[23]/.test(String(at(s.props, "domainEndpointOptions.tlsSecurityPolicy")))
      ? []
      : ["tlsSecurityPolicy allows TLS below 1.2"]),
  ],
  [storeTypes.kafka]: (s) => {
    const transit = (at(s.props, "encryptionInfo.encryptionInTransit") ?? {}) as Record<string, unknown>;
    return [
      ...(at(s.props, "encryptionInfo.encryptionAtRestKmsKeyArn")
        ? []
        : ["no customer-managed encryptionAtRestKmsKeyArn"]),
      ...((transit["clientBroker"] ?? "TLS") === "TLS"
        ? []
        : [`clientBroker is ${String(transit["clientBroker"])}`]),
      ...(transit["inCluster"] === false ? ["inCluster encryption is off"] : []),
    ];
  },
};

export const dataStoresEncrypted: StackValidationPolicy = {
  name: "data-stores-encrypted",
  description:
    "Every data store is encrypted at rest with a customer-managed key and in transit with TLS 1.2+.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const stores = args.resources.filter((r) => encryptionGaps[r.type]);
    if (stores.length === 0) args.notApplicable("no data stores");
    for (const store of stores) {
      const gaps = encryptionGaps[store.type]!(store);
      if (gaps.length > 0) report(`${store.name}: ${gaps.join("; ")}`, store.urn);
    }
  },
};

export const dataStorePolicies = [dataStoresNotPublic, dataStoresEncrypted];
