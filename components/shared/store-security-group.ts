import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { type Tags, tagged } from "./tags.js";
import { invalid, requireWholeNumber } from "./validation.js";

/** One TCP port a data store listens on, and what the port is for (the rule's description). */
export interface StorePort {
  readonly port: number;
  readonly description: string;
}

export interface StoreSecurityGroupArgs {
  /** The VPC the group lives in. */
  readonly vpcId: pulumi.Input<string>;
  /** The group's description (it cannot change without replacing the group). */
  readonly description: string;
  /** The ports admitted, each from every allowed group; at least one, distinct. */
  readonly ports: readonly StorePort[];
  /** The security groups whose members may connect; at least one. */
  readonly allowedSecurityGroupIds: readonly pulumi.Input<string>[];
  /** Tags for the group and each of its rules. */
  readonly tags: Tags;
}

/** The logical name of the rule admitting `port` from the `source`-th allowed group. */
export const storeIngressRuleName = (groupName: string, source: number, port: number) =>
  `${groupName}-from-${source}-${port}`;

export function validateStoreSecurityGroupArgs(args: StoreSecurityGroupArgs): void {
  if (args.ports.length === 0) invalid("ports", "expected at least one port");
  for (const { port } of args.ports) requireWholeNumber(port, "ports", { min: 1, max: 65535 });
  if (new Set(args.ports.map((p) => p.port)).size !== args.ports.length)
    invalid("ports", `expected distinct ports, got ${args.ports.map((p) => p.port).join(", ")}`);
  requireAllowedSecurityGroups(args.allowedSecurityGroupIds);
}

/** A store no security group may reach is useless: at least one group must be admitted. */
export function requireAllowedSecurityGroups(
  ids: readonly unknown[],
  propertyPath = "allowedSecurityGroupIds",
): void {
  if (ids.length === 0)
    invalid(propertyPath, "expected at least one security group; with none, nothing can connect");
}

/**
 * The security group of a data store: no inline rules, and one ingress rule per allowed
 * group and port (`<name>-from-<i>-<port>`), TCP only, from the group and never from a
 * CIDR. No egress rule: the provider removes the default allow-all egress, and a store
 * initiates no connections.
 */
export function createStoreSecurityGroup(
  name: string,
  args: StoreSecurityGroupArgs,
  parent: pulumi.Resource,
): aws.ec2.SecurityGroup {
  validateStoreSecurityGroupArgs(args);
  const group = new aws.ec2.SecurityGroup(
    name,
    { vpcId: args.vpcId, description: args.description, tags: tagged(args.tags, name) },
    { parent },
  );
  args.allowedSecurityGroupIds.forEach((source, i) => {
    for (const { port, description } of args.ports) {
      const rule = storeIngressRuleName(name, i, port);
      new aws.vpc.SecurityGroupIngressRule(
        rule,
        {
          securityGroupId: group.id,
          referencedSecurityGroupId: source,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description,
          tags: tagged(args.tags, rule),
        },
        { parent },
      );
    }
  });
  return group;
}
