import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { createLogGroup } from "../shared/log-group.js";
import { type Tags, tagged } from "../shared/tags.js";

export interface FlowLogArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly retentionDays: number;
  readonly tags: Tags;
}

const flowLogsTrust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

/** Every packet decision of the VPC into a CloudWatch log group, for forensics and debugging. */
export function createFlowLog(name: string, args: FlowLogArgs, parent: pulumi.Resource): aws.ec2.FlowLog {
  const group = createLogGroup(
    `${name}-flow-logs`,
    { logGroupName: `/platform/vpc/${name}/flow-logs`, retentionInDays: args.retentionDays, tags: args.tags },
    parent,
  );
  const role = new aws.iam.Role(
    `${name}-flow-logs`,
    { assumeRolePolicy: flowLogsTrust, tags: tagged(args.tags, `${name}-flow-logs`) },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-flow-logs`,
    {
      role: role.id,
      policy: group.arn.apply((arn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              Resource: [arn, `${arn}:*`],
            },
          ],
        }),
      ),
    },
    { parent },
  );
  return new aws.ec2.FlowLog(
    `${name}-flow-log`,
    {
      vpcId: args.vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: tagged(args.tags, `${name}-flow-log`),
    },
    { parent },
  );
}
