/**
 * Usage the plan cannot know (how many GiB a NAT gateway processes, how much a bucket
 * holds), as stated monthly figures. Each is a default for every resource it applies to;
 * `--assumptions FILE` overrides a default, or one resource's figure by its name under
 * `byResource`. The report lists every figure it used.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";

export interface Assumption {
  readonly value: number;
  /** What it counts, per resource, per month. */
  readonly what: string;
}

export const defaultAssumptions = {
  natProcessedGiB: {
    value: 100,
    what: "GiB each NAT gateway processes (egress not through the S3 endpoint)",
  },
  nlbCapacityUnits: { value: 1, what: "average NLCUs of each network load balancer" },
  albCapacityUnits: { value: 1, what: "average LCUs of each application load balancer" },
  interfaceEndpointGiB: { value: 10, what: "GiB through each interface VPC endpoint" },
  interAzGiB: { value: 1000, what: "GiB crossing zones in each VPC (replication, calls to other zones)" },
  internetEgressGiB: { value: 500, what: "GiB each VPC sends to the internet (responses to Cloudflare)" },
  auroraStorageGiB: { value: 100, what: "GiB stored by each Aurora cluster" },
  auroraIoMillions: { value: 100, what: "million I/O requests of each Aurora cluster" },
  s3StoredGiB: {
    value: 250,
    what: "GiB stored in each S3 bucket (telemetry backends, the audit trail's write-once copy)",
  },
  s3PutThousands: { value: 2000, what: "thousand PUT/LIST requests to each S3 bucket" },
  s3GetThousands: { value: 5000, what: "thousand GET requests to each S3 bucket" },
  ecrStoredGiB: { value: 5, what: "GiB of images in each ECR repository" },
  logIngestedGiB: { value: 5, what: "GiB ingested by each CloudWatch log group" },
  flowLogIngestedGiB: { value: 50, what: "GiB ingested by each log group that receives VPC flow logs" },
  logStoredShare: {
    value: 0.15,
    what: "stored size of CloudWatch logs as a share of ingested (compression)",
  },
  kmsRequestThousands: { value: 100, what: "thousand requests to each KMS key" },
  secretsCallThousands: { value: 10, what: "thousand API calls to each Secrets Manager secret" },
} as const satisfies Record<string, Assumption>;

export type AssumptionName = keyof typeof defaultAssumptions;

export interface Assumptions {
  readonly values: Readonly<Record<AssumptionName, number>>;
  /** Per-resource overrides, by the resource's name in the plan. */
  readonly byResource: Readonly<Record<string, Partial<Record<AssumptionName, number>>>>;
}

const names = Object.keys(defaultAssumptions) as AssumptionName[];

export const defaults = (): Assumptions => ({
  values: Object.fromEntries(names.map((n) => [n, defaultAssumptions[n].value])) as Record<
    AssumptionName,
    number
  >,
  byResource: {},
});

function figures(where: string, raw: unknown, problems: string[]): Partial<Record<AssumptionName, number>> {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    problems.push(`${where}: expected an object of figures`);
    return {};
  }
  const out: Partial<Record<AssumptionName, number>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!names.includes(key as AssumptionName))
      problems.push(`${where}${key}: no such assumption (assumptions: ${names.join(", ")})`);
    else if (typeof value !== "number" || !(value >= 0))
      problems.push(`${where}${key}: expected a number >= 0, got ${JSON.stringify(value)}`);
    else out[key as AssumptionName] = value;
  }
  return out;
}

/** The defaults with a file's overrides (YAML or JSON: `{ natProcessedGiB: 300, byResource: { name: {...} } }`). */
export function loadAssumptions(file?: string): Assumptions {
  const base = defaults();
  if (!file) return base;
  if (!existsSync(file)) throw new Error(`assumptions file ${file} does not exist`);
  const { byResource = {}, ...rest } = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const values = { ...base.values, ...figures("", rest, problems) };
  const perResource = Object.fromEntries(
    Object.entries(byResource as Record<string, unknown>).map(([name, raw]) => [
      name,
      figures(`byResource.${name}.`, raw, problems),
    ]),
  );
  if (problems.length > 0)
    throw new Error(`assumptions file ${file} is wrong:\n  - ${problems.join("\n  - ")}`);
  return { values, byResource: perResource };
}

/** The figure for one resource: its own override, else the default. */
export const assumed = (assumptions: Assumptions, name: AssumptionName, resource: string): number =>
  assumptions.byResource[resource]?.[name] ?? assumptions.values[name];
