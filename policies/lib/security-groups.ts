/**
 * Who a security group admits, from its inline `ingress` blocks and from the separate rule
 * resources attached to it (found through their `securityGroupId` property dependency).
 */
import type { PolicyResource } from "@pulumi/policy";
import { asArray, dependenciesOf } from "./policy-kit.js";

export const securityGroupType = "aws:ec2/securityGroup:SecurityGroup";

/** One source a group admits: an address range, or a peer (another group, a prefix list). */
export interface Admission {
  readonly cidr?: string;
  readonly peer?: string;
  /** The resource that declares it: the group itself or a rule resource. */
  readonly declaredBy: string;
}

interface InlineIngress {
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
  securityGroups?: string[];
  prefixListIds?: string[];
  self?: boolean;
}

function fromBlock(block: InlineIngress, declaredBy: string): Admission[] {
  const cidrs = [...asArray(block.cidrBlocks), ...asArray(block.ipv6CidrBlocks)];
  const peers = [
    ...asArray(block.securityGroups).map(() => "a security group"),
    ...asArray(block.prefixListIds).map(() => "a prefix list"),
    ...(block.self ? ["itself"] : []),
  ];
  return [...cidrs.map((cidr) => ({ cidr, declaredBy })), ...peers.map((peer) => ({ peer, declaredBy }))];
}

const attachedTo = (rule: PolicyResource, group: PolicyResource) =>
  dependenciesOf(rule, "securityGroupId").some((g) => g.urn === group.urn);

/** Everything `group` admits, wherever it is declared. */
export function admissionsOf(group: PolicyResource, resources: readonly PolicyResource[]): Admission[] {
  const inline = asArray(group.props["ingress"] as InlineIngress[]).flatMap((b) => fromBlock(b, group.urn));
  const separate = resources.flatMap((rule): Admission[] => {
    if (
      rule.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" &&
      attachedTo(rule, group)
    ) {
      const p = rule.props;
      const cidr = (p["cidrIpv4"] ?? p["cidrIpv6"]) as string | undefined;
      return [
        cidr
          ? { cidr, declaredBy: rule.urn }
          : { peer: "a security group or prefix list", declaredBy: rule.urn },
      ];
    }
    if (rule.type === "aws:ec2/securityGroupRule:SecurityGroupRule" && attachedTo(rule, group)) {
      if (rule.props["type"] !== "ingress") return [];
      return fromBlock(
        {
          cidrBlocks: rule.props["cidrBlocks"] as string[],
          ipv6CidrBlocks: rule.props["ipv6CidrBlocks"] as string[],
          securityGroups: asArray(rule.props["sourceSecurityGroupId"] as string),
          prefixListIds: rule.props["prefixListIds"] as string[],
          self: rule.props["self"] as boolean,
        },
        rule.urn,
      );
    }
    return [];
  });
  return [...inline, ...separate];
}

/** The security groups a resource's property depends on. */
export const groupsVia = (resource: PolicyResource, property: string) =>
  dependenciesOf(resource, property, securityGroupType);
