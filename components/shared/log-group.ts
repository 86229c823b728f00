import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { type Tags, tagged } from "./tags.js";

export interface LogGroupArgs {
  /** The log group's name, e.g. "/platform/msk/platform-prod-kafka/brokers". */
  readonly logGroupName: pulumi.Input<string>;
  /** Days the events are kept; always set, so no group keeps logs forever. */
  readonly retentionInDays: number;
  /** Tags for the group. */
  readonly tags: Tags;
}

/**
 * A CloudWatch log group a component (or the AWS service behind it) writes to, with its
 * retention. Create it before the resource that logs into it, so that AWS never creates
 * the group itself without one.
 */
export function createLogGroup(
  name: string,
  args: LogGroupArgs,
  parent: pulumi.Resource,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    name,
    { name: args.logGroupName, retentionInDays: args.retentionInDays, tags: tagged(args.tags, name) },
    { parent },
  );
}
