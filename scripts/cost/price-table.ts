/**
 * The dated price table (`prices.yaml` beside this file, or `--prices FILE`): AWS on-demand
 * prices per region, validated once so a typo names its path instead of pricing at zero.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";

const price = z.number().nonnegative();
const byName = z.record(z.string(), price);

const regionPrices = z
  .object({
    eks: z.object({
      clusterHour: price,
      extendedSupportClusterHour: price,
      extendedSupportVersions: z.array(z.string()),
    }),
    ec2: z.object({ instanceHour: byName, ebsGiBMonth: byName, publicIpv4Hour: price }),
    aurora: z.object({ instanceHour: byName, storageGiBMonth: price, ioMillionRequests: price }),
    /** Node prices by engine ("redis", "valkey"...), then node type. */
    elasticache: z.object({ nodeHour: z.record(z.string(), byName) }),
    opensearch: z.object({ instanceHour: byName, gp3GiBMonth: price }),
    msk: z.object({ brokerHour: byName, storageGiBMonth: price }),
    vpc: z.object({
      natGatewayHour: price,
      natGatewayGiB: price,
      interfaceEndpointHour: price,
      interfaceEndpointGiB: price,
      interAzGiB: price,
      internetEgressGiB: price,
    }),
    elb: z.object({ nlbHour: price, nlcuHour: price, albHour: price, lcuHour: price }),
    kms: z.object({ keyMonth: price, tenThousandRequests: price }),
    secretsManager: z.object({ secretMonth: price, tenThousandCalls: price }),
    s3: z.object({ standardGiBMonth: price, thousandPuts: price, thousandGets: price }),
    ecr: z.object({ storageGiBMonth: price }),
    cloudwatchLogs: z.object({ ingestedGiB: price, storedGiBMonth: price }),
  })
  .strict();

const priceTableSchema = z.object({
  taken: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "the date the prices were taken, YYYY-MM-DD" }),
  currency: z.literal("USD"),
  hoursPerMonth: z.number().positive(),
  sources: z.record(z.string(), z.url()),
  regions: z.record(z.string(), regionPrices),
});

export type RegionPrices = z.output<typeof regionPrices>;
export type PriceTable = z.output<typeof priceTableSchema> & { readonly file: string };

export const defaultPriceFile = join(import.meta.dirname, "prices.yaml");

/** Reads and validates a price table; every problem is named by its path in the file. */
export function loadPriceTable(file = defaultPriceFile): PriceTable {
  if (!existsSync(file)) throw new Error(`price table ${file} does not exist`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`price table ${file} is not YAML or JSON: ${(err as Error).message}`);
  }
  const result = priceTableSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`price table ${file} is not a price table:\n  - ${problems.join("\n  - ")}`);
  }
  return { ...result.data, file };
}

/** The prices of one region; an unknown region is an error, never a zero. */
export function pricesFor(table: PriceTable, region: string): RegionPrices {
  const prices = table.regions[region];
  if (!prices) {
    throw new Error(
      `price table ${table.file} has no prices for region ${region} (it has ${Object.keys(table.regions).join(", ")}); ` +
        "add the region to it or pass --prices with a table that has it",
    );
  }
  return prices;
}
