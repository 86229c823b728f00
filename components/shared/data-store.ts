import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { RegisteredService } from "../../services/registry.js";
import { requireAllowedSecurityGroups } from "./store-security-group.js";
import type { Tags } from "./tags.js";
import { requireNamespaceName, requireOnePerZone, requireThreeZones } from "./validation.js";

/**
 * What every data store component (Postgres, Redis, Search, Kafka) takes alike: where it
 * runs, who may reach it, and where the services that use it get their credentials.
 */
export interface DataStoreArgs {
  /** Exactly three availability zones. */
  readonly zones: readonly string[];
  /** The VPC the store's security group lives in. */
  readonly vpcId: pulumi.Input<string>;
  /** The store's subnets, one per zone, in zone order. */
  readonly subnetIds: readonly pulumi.Input<string>[];
  /** Security groups admitted on the store's ports (the EKS cluster security group); nothing else is. */
  readonly allowedSecurityGroupIds: readonly pulumi.Input<string>[];
  /** The service registry; the services that declare the store get credentials or settings. */
  readonly services: readonly RegisteredService[];
  /** The provider of the cluster the services run in; their Secrets are created through it. */
  readonly k8sProvider: k8s.Provider;
  /** The Kubernetes namespace the services (and so their Secrets) live in; checked when plain. */
  readonly namespace: pulumi.Input<string>;
  /** Tags for every taggable child. */
  readonly tags: Tags;
}

/** Three zones, a subnet per zone, at least one allowed group and a valid namespace name. */
export function validateDataStoreArgs(args: DataStoreArgs): void {
  requireThreeZones(args.zones);
  requireOnePerZone(args.subnetIds, args.zones, "subnetIds");
  requireAllowedSecurityGroups(args.allowedSecurityGroupIds);
  if (typeof args.namespace === "string") requireNamespaceName(args.namespace);
}
