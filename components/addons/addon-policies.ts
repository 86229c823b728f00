/**
 * Least-privilege IAM policies of the add-ons that call AWS. Pure, tested without mocks.
 */

interface Statement {
  readonly Sid: string;
  readonly Action: readonly string[];
  readonly Resource: string;
  readonly Condition?: Record<string, unknown>;
}

/** A policy document allowing exactly the given statements. */
const allow = (...statements: Statement[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow", ...s })) });

/**
 * The AWS Load Balancer Controller here only registers the ingress pods into the Edge's
 * existing target group (a TargetGroupBinding): it reads the load balancer and VPC, and
 * registers or deregisters targets of that one group. It creates nothing.
 */
export function loadBalancerControllerPolicy(targetGroupArn: string): string {
  return allow(
    {
      Sid: "Read",
      Action: [
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
      ],
      Resource: "*",
    },
    {
      Sid: "RegisterIngressPods",
      Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
      Resource: targetGroupArn,
    },
  );
}

/**
 * cluster-autoscaler: reads every Auto Scaling group, but changes only those EKS tagged as
 * this cluster's (`k8s.io/cluster-autoscaler/<cluster>: owned`).
 * See https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md
 */
export function clusterAutoscalerPolicy(clusterName: string): string {
  return allow(
    {
      Sid: "Read",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
        "eks:DescribeNodegroup",
      ],
      Resource: "*",
    },
    {
      Sid: "ScaleOwnGroups",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "*",
      Condition: {
        StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" },
      },
    },
  );
}
