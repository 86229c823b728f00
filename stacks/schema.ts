import { z } from "zod";
import { alertingSchema, observabilitySchema } from "./observability-schema.js";

/**
 * The typed platform spec: everything a stack decides, read once from Pulumi config
 * (`platform:<section>` keys, plus `aws:region`) and validated here. Components never
 * read config themselves; they take the slice of this spec they need.
 *
 * Every field carries a description of the shape it expects; config errors quote it.
 */

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, {
    error: "not an IPv4 CIDR block",
  })
  .refine(
    (v) =>
      v
        .split("/")[0]!
        .split(".")
        .every((octet) => Number(octet) <= 255),
    {
      error: "an octet is above 255",
    },
  );

const positiveInt = z.number().int().positive();

export const environments = ["prod", "staging"] as const;

export const tagsSchema = z
  .object({
    owner: z.string().min(1).describe('the owning team, e.g. "platform-team"'),
    costCenter: z.string().min(1).describe('the cost center billed, e.g. "cc-4200"'),
  })
  .strict()
  .describe("an object { owner, costCenter } tagged on every AWS resource");

export const networkSchema = z
  .object({
    cidr: cidr.describe('the VPC IPv4 CIDR, a /16 to /20, e.g. "10.40.0.0/16"'),
    zones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { error: "not an availability zone name" }))
      .length(3)
      .refine((zones) => new Set(zones).size === zones.length, { error: "zones must be distinct" })
      .describe(
        'exactly three distinct availability zones of aws:region, e.g. ["eu-west-1a", "eu-west-1b", "eu-west-1c"]',
      ),
    flowLogRetentionDays: positiveInt.default(365).describe("days VPC flow logs are kept (default 365)"),
  })
  .strict()
  .refine((n) => Number(n.cidr.split("/")[1]) <= 20, {
    error: "the VPC CIDR must be /20 or larger to hold nine subnets",
    path: ["cidr"],
  })
  .describe("an object { cidr, zones, flowLogRetentionDays? }");

export const clusterSchema = z
  .object({
    kubernetesVersion: z
      .string()
      .regex(/^1\.\d{2}$/)
      .describe('the EKS Kubernetes minor version as a string, e.g. "1.33"'),
    publicAccessCidrs: z
      .array(cidr)
      .min(1)
      .refine((list) => !list.includes("0.0.0.0/0"), {
        error: "0.0.0.0/0 would open the API server to the internet",
      })
      .describe(
        'the CIDRs allowed to reach the public API endpoint, never 0.0.0.0/0, e.g. ["203.0.113.0/24"]',
      ),
    nodes: z
      .object({
        instanceTypes: z.array(z.string().min(1)).min(1).describe('EC2 instance types, e.g. ["m7i.xlarge"]'),
        minPerZone: positiveInt.describe("the minimum nodes in each zone's node group, >= 1"),
        desiredPerZone: positiveInt.describe("the initial nodes in each zone's node group"),
        maxPerZone: positiveInt.describe("the maximum nodes in each zone's node group"),
        diskSizeGiB: positiveInt.default(100).describe("the root volume size in GiB (default 100)"),
      })
      .strict()
      .refine((n) => n.minPerZone <= n.desiredPerZone && n.desiredPerZone <= n.maxPerZone, {
        error: "expected minPerZone <= desiredPerZone <= maxPerZone",
      })
      .describe("an object { instanceTypes, minPerZone, desiredPerZone, maxPerZone, diskSizeGiB? }"),
    logRetentionDays: positiveInt.default(90).describe("days control-plane logs are kept (default 90)"),
  })
  .strict()
  .describe("an object { kubernetesVersion, publicAccessCidrs, nodes, logRetentionDays? }");

export const postgresSchema = z
  .object({
    engineVersion: z
      .string()
      .regex(/^\d+\.\d+$/)
      .describe('the Aurora PostgreSQL version, e.g. "16.6"'),
    instanceClass: z.string().startsWith("db.").describe('the instance class, e.g. "db.r7g.large"'),
    backupRetentionDays: z
      .number()
      .int()
      .min(7)
      .max(35)
      .describe("days of automated backups and point-in-time recovery, 7 to 35"),
    deletionProtection: z
      .boolean()
      .optional()
      .describe("refuse deletion of the cluster (default: true on prod, false elsewhere)"),
  })
  .strict()
  .describe("an object { engineVersion, instanceClass, backupRetentionDays, deletionProtection? }");

export const redisSchema = z
  .object({
    engineVersion: z
      .string()
      .regex(/^\d+\.\d+$/)
      .describe('the Redis OSS engine version, e.g. "7.1"'),
    nodeType: z.string().startsWith("cache.").describe('the node type, e.g. "cache.r7g.large"'),
    snapshotRetentionDays: positiveInt.default(7).describe("days daily snapshots are kept (default 7)"),
  })
  .strict()
  .describe("an object { engineVersion, nodeType, snapshotRetentionDays? }");

export const searchSchema = z
  .object({
    engineVersion: z
      .string()
      .regex(/^OpenSearch_\d+\.\d+$/)
      .describe('the Amazon OpenSearch engine, e.g. "OpenSearch_2.19"'),
    dataNodeType: z.string().endsWith(".search").describe('the data node type, e.g. "r7g.large.search"'),
    dataNodesPerZone: positiveInt.describe("data nodes in each of the three zones"),
    masterNodeType: z
      .string()
      .endsWith(".search")
      .describe('the dedicated master type, e.g. "m7g.large.search"'),
    volumeSizeGiB: positiveInt.describe("the EBS volume per data node in GiB"),
  })
  .strict()
  .describe("an object { engineVersion, dataNodeType, dataNodesPerZone, masterNodeType, volumeSizeGiB }");

export const kafkaSchema = z
  .object({
    kafkaVersion: z
      .string()
      .regex(/^\d+\.\d+\.(\d+|x)$/)
      .describe('the MSK Kafka version, e.g. "3.8.x"'),
    brokerInstanceType: z.string().startsWith("kafka.").describe('the broker type, e.g. "kafka.m7g.large"'),
    brokersPerZone: positiveInt.describe(
      "brokers in each of the three zones (MSK needs a multiple of three)",
    ),
    volumeSizeGiB: positiveInt.describe("the EBS volume per broker in GiB"),
    partitions: positiveInt.describe("partitions of each events topic"),
    retentionHours: positiveInt.describe("hours events are kept on their topics"),
  })
  .strict()
  .describe(
    "an object { kafkaVersion, brokerInstanceType, brokersPerZone, volumeSizeGiB, partitions, retentionHours }",
  );

export const edgeSchema = z
  .object({
    accountId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .describe("the Cloudflare account id, 32 hex characters"),
    zoneId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .describe("the Cloudflare zone id, 32 hex characters"),
    domain: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/)
      .describe('the zone apex, e.g. "example.com"'),
    apiHost: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/)
      .describe('the public API host name inside the zone, e.g. "api.example.com"'),
    rateLimit: z
      .object({
        requests: positiveInt.describe("requests one client IP may make per period"),
        periodSeconds: z
          .union([
            z.literal(10),
            z.literal(60),
            z.literal(120),
            z.literal(300),
            z.literal(600),
            z.literal(3600),
          ])
          .describe("the counting period: one of 10, 60, 120, 300, 600, 3600"),
      })
      .strict()
      .describe("an object { requests, periodSeconds } applied per client IP at the edge"),
  })
  .strict()
  .refine((e) => e.apiHost.endsWith(`.${e.domain}`), {
    error: "apiHost must be a name inside domain",
    path: ["apiHost"],
  })
  .describe("an object { accountId, zoneId, domain, apiHost, rateLimit }");

/**
 * A release version: the build date and the commit it was built from. Never "latest": an
 * image tag must name one build forever (repositories have immutable tags).
 */
export const releaseVersionPattern = /^\d{4}\.\d{2}\.\d{2}-[0-9a-f]{7,40}$/;

export const releaseSchema = z
  .object({
    version: z
      .string()
      .regex(releaseVersionPattern, { error: 'not a release version (never "latest")' })
      .describe('the release every service runs, "<yyyy.mm.dd>-<commit>", e.g. "2026.11.25-1a2b3c4"'),
  })
  .strict()
  .describe("an object { version }");

export const platformSpecSchema = z
  .object({
    environment: z.enum(environments).describe('the environment, one of "prod" or "staging"'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .describe('the AWS region, e.g. "eu-west-1"'),
    tags: tagsSchema,
    network: networkSchema,
    cluster: clusterSchema,
    postgres: postgresSchema,
    redis: redisSchema,
    search: searchSchema,
    kafka: kafkaSchema,
    edge: edgeSchema,
    release: releaseSchema,
    observability: observabilitySchema,
    alerting: alertingSchema,
  })
  .strict()
  .superRefine((spec, ctx) => {
    spec.network.zones.forEach((zone, i) => {
      if (!zone.startsWith(spec.region)) {
        ctx.addIssue({
          code: "custom",
          message: `zone "${zone}" is not in region ${spec.region}`,
          path: ["network", "zones", i],
        });
      }
    });
  });

/** The validated spec with defaults applied. */
export type PlatformSpec = z.output<typeof platformSpecSchema>;
/** The spec as written in config, before defaults. */
export type PlatformSpecInput = z.input<typeof platformSpecSchema>;
