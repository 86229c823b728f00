import { describe, expect, it } from "vitest";
import { clusterAutoscalerPolicy, loadBalancerControllerPolicy } from "./addon-policies.js";

type Statement = { Action: string[]; Resource: string; Condition?: unknown };
const statements = (json: string) => (JSON.parse(json) as { Statement: Statement[] }).Statement;
const writes = (s: Statement) => s.Action.some((a) => !/:(Describe|Get)/.test(a));

describe("add-on IAM policies", () => {
  it("let the load balancer controller change targets of the Edge's group only, and create nothing", () => {
    const arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ingress/abc";
    const changing = statements(loadBalancerControllerPolicy(arn)).filter(writes);
    expect(changing).toEqual([
      expect.objectContaining({
        Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
        Resource: arn,
      }),
    ]);
    expect(loadBalancerControllerPolicy(arn)).not.toMatch(/Create|Delete|Modify|Authorize/);
  });

  it("let the cluster-autoscaler resize only the groups tagged as its cluster's", () => {
    const changing = statements(clusterAutoscalerPolicy("platform-prod")).filter(writes);
    expect(changing).toHaveLength(1);
    expect(changing[0]!.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/platform-prod": "owned" },
    });
  });
});
