/** Every price model, by resource type, and the classification of everything else. */
import { free, type Pricer, type Pricing } from "../model.js";
import { eksCluster, eksNodeGroup } from "./compute.js";
import { auroraCluster, auroraInstance, elasticacheReplicationGroup } from "./databases.js";
import { freeTypes, isProvider, kubernetesService, outsideTheTable } from "./free.js";
import { elasticIp, loadBalancer, natGateway, vpcDataTransfer, vpcEndpoint } from "./network.js";
import { mskCluster, openSearchDomain } from "./search-streaming.js";
import { kmsKey, secret } from "./security.js";
import { ecrRepository, logGroup, s3Bucket } from "./storage.js";

export const pricers: Readonly<Record<string, Pricer>> = {
  "aws:eks/cluster:Cluster": eksCluster,
  "aws:eks/nodeGroup:NodeGroup": eksNodeGroup,
  "aws:rds/cluster:Cluster": auroraCluster,
  "aws:rds/clusterInstance:ClusterInstance": auroraInstance,
  "aws:elasticache/replicationGroup:ReplicationGroup": elasticacheReplicationGroup,
  "aws:opensearch/domain:Domain": openSearchDomain,
  "aws:msk/cluster:Cluster": mskCluster,
  "aws:ec2/natGateway:NatGateway": natGateway,
  "aws:ec2/eip:Eip": elasticIp,
  "aws:lb/loadBalancer:LoadBalancer": loadBalancer,
  "aws:ec2/vpcEndpoint:VpcEndpoint": vpcEndpoint,
  "aws:ec2/vpc:Vpc": vpcDataTransfer,
  "aws:kms/key:Key": kmsKey,
  "aws:secretsmanager/secret:Secret": secret,
  "aws:s3/bucket:Bucket": s3Bucket,
  "aws:ecr/repository:Repository": ecrRepository,
  "aws:cloudwatch/logGroup:LogGroup": logGroup,
  "kubernetes:core/v1:Service": kubernetesService,
};

/** How a type is handled when it has no price model: free, outside the table, or unknown. */
export function unmodelled(type: string): Pricing {
  if (freeTypes[type]) return free(freeTypes[type]);
  if (isProvider(type)) return free("Pulumi providers");
  const outside = outsideTheTable[type] ?? outsideTheTable[type.split(":")[0]!];
  return { kind: "notPriced", reason: outside ?? "no price model for this type" };
}
