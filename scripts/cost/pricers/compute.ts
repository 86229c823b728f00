/** EKS: the control plane, and the managed node groups with their root volumes. */
import type { PlannedResource } from "../../plan/plan-types.js";
import {
  count,
  input,
  line,
  monthOf,
  type Pricer,
  type PricingContext,
  priced,
  priceOf,
  Unpriceable,
} from "../model.js";

const launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate";
/** EKS's root volume without a launch template: `diskSize` (20 GiB by default), gp2. */
const defaultDisk = { size: 20, type: "gp2" };

export const eksCluster: Pricer = (cluster, context) => {
  const { eks } = context.prices;
  const version = String(input(cluster, "version") ?? "");
  const extended = eks.extendedSupportVersions.includes(version);
  return priced(
    extended
      ? monthOf(
          context,
          `control plane, Kubernetes ${version} in extended support`,
          1,
          eks.extendedSupportClusterHour,
        )
      : monthOf(context, `control plane, Kubernetes ${version || "(default)"}`, 1, eks.clusterHour),
  );
};

/** The root volume each node gets: from the launch template the group depends on, else `diskSize`. */
function rootVolume(group: PlannedResource, context: PricingContext): { size: number; type: string } {
  const [template] = context.plan.dependencies(group, "launchTemplate", launchTemplateType);
  if (!template) return { size: count(group, "diskSize", defaultDisk.size), type: defaultDisk.type };
  const mappings = (input(template, "blockDeviceMappings") ?? []) as { ebs?: Record<string, unknown> }[];
  const ebs = mappings[0]?.ebs;
  if (!ebs) throw new Unpriceable(`launch template ${template.name} declares no root volume`);
  return { size: Number(ebs["volumeSize"]), type: String(ebs["volumeType"] ?? "gp2") };
}

/**
 * A managed node group at its desired size. On demand, EKS launches the first of
 * `instanceTypes` (the prioritized allocation strategy); the others are fallbacks.
 */
export const eksNodeGroup: Pricer = (group, context) => {
  const { ec2 } = context.prices;
  if (input(group, "capacityType") === "SPOT") throw new Unpriceable("Spot capacity has no list price");
  const [instanceType] = (input(group, "instanceTypes") ?? ["t3.medium"]) as string[];
  const nodes = count(group, "scalingConfig.desiredSize");
  const hourly = priceOf(ec2.instanceHour, instanceType!, "EC2 instance", context.region);
  const volume = rootVolume(group, context);
  const gibMonth = priceOf(ec2.ebsGiBMonth, volume.type, "EBS volume", context.region);
  return priced(
    monthOf(context, `${nodes} × ${instanceType} (desired size)`, nodes, hourly),
    line(
      `${nodes} × ${volume.size} GiB ${volume.type} root volumes`,
      nodes * volume.size,
      "GiB-month",
      gibMonth,
    ),
  );
};
