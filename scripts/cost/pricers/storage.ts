/**
 * Storage billed by usage: S3 buckets (the telemetry backends'), ECR repositories and
 * CloudWatch log groups. The plan fixes only what exists, so every figure is an assumption.
 */
import { input, line, type Pricer, priced, usageLine } from "../model.js";

const flowLogType = "aws:ec2/flowLog:FlowLog";
const daysPerMonth = 365 / 12;

export const s3Bucket: Pricer = (bucket, context) => {
  const { s3 } = context.prices;
  return priced(
    usageLine(context, bucket, "Standard storage", "s3StoredGiB", "GiB-month", s3.standardGiBMonth),
    usageLine(
      context,
      bucket,
      "PUT, COPY, POST, LIST requests",
      "s3PutThousands",
      "1k requests",
      s3.thousandPuts,
    ),
    usageLine(context, bucket, "GET requests", "s3GetThousands", "1k requests", s3.thousandGets),
  );
};

export const ecrRepository: Pricer = (repository, context) =>
  priced(
    usageLine(
      context,
      repository,
      "image storage",
      "ecrStoredGiB",
      "GiB-month",
      context.prices.ecr.storageGiBMonth,
    ),
  );

/**
 * Ingestion, and storage at steady state: a month's ingest, compressed, kept for the group's
 * retention (a year when it never expires). A group that receives VPC flow logs ingests by
 * its own assumption, found by following each flow log's `logDestination`.
 */
export const logGroup: Pricer = (group, context) => {
  const { cloudwatchLogs } = context.prices;
  const receivesFlowLogs = context.plan
    .ofType(flowLogType)
    .some((flowLog) => context.plan.dependencies(flowLog, "logDestination").some((d) => d.urn === group.urn));
  const ingested = context.usage(receivesFlowLogs ? "flowLogIngestedGiB" : "logIngestedGiB", group);
  const retentionDays = Number(input(group, "retentionInDays") ?? 365);
  const months = Math.round((retentionDays / daysPerMonth) * 100) / 100;
  const stored = ingested * months * context.usage("logStoredShare", group);
  return priced(
    line(
      "ingestion",
      ingested,
      "GiB",
      cloudwatchLogs.ingestedGiB,
      receivesFlowLogs ? "flowLogIngestedGiB" : "logIngestedGiB",
    ),
    line(
      `storage (${months} months kept, compressed)`,
      stored,
      "GiB-month",
      cloudwatchLogs.storedGiBMonth,
      "logStoredShare",
    ),
  );
};
