import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import { invalidArgument, permissionDenied, unauthenticated } from "../runtime/errors.js";

/**
 * What catalog accepts in a product, the one source of these bounds: the gateway's OpenAPI
 * document states them too (services/gateway/openapi.ts), so clients and the fuzzer know.
 */
export const productLimits = {
  sku: "^[A-Z0-9][A-Z0-9-]{1,63}$",
  category: "^[a-z0-9][a-z0-9-]{0,63}$",
  /** A name: no control characters (PostgreSQL refuses NUL in text, and none belongs in a name). */
  line: "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
  /** A description: the same, but tabs and line breaks. */
  lines: "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$",
  maxName: 200,
  maxDescription: 5000,
  maxPriceMinor: 1_000_000_000_00,
  maxStock: 10_000_000,
} as const;

const sku = new RegExp(productLimits.sku);
const category = new RegExp(productLimits.category);
const line = new RegExp(productLimits.line);
const lines = new RegExp(productLimits.lines);

/** Field rules shared by create and update; each returns a reason or undefined. */
const rules = {
  sku: (v: string) => (sku.test(v) ? undefined : "2 to 64 of A-Z, 0-9 and -"),
  name: (v: string) =>
    !line.test(v)
      ? "must not contain control characters"
      : v.trim().length >= 1 && v.length <= productLimits.maxName
        ? undefined
        : `1 to ${productLimits.maxName} characters`,
  description: (v: string) =>
    !lines.test(v)
      ? "must not contain control characters"
      : v.length <= productLimits.maxDescription
        ? undefined
        : `at most ${productLimits.maxDescription} characters`,
  category: (v: string) => (category.test(v) ? undefined : 'a lowercase slug such as "shoes"'),
  currency: (v: string) => (/^[A-Z]{3}$/.test(v) ? undefined : 'an ISO 4217 code such as "EUR"'),
  priceMinor: (v: bigint) =>
    v >= 0n && v <= BigInt(productLimits.maxPriceMinor)
      ? undefined
      : `0 to ${productLimits.maxPriceMinor} minor units`,
  stock: (v: number) =>
    Number.isInteger(v) && v >= 0 && v <= productLimits.maxStock
      ? undefined
      : `a whole number, 0 to ${productLimits.maxStock}`,
};

type Fields = { [K in keyof typeof rules]?: Parameters<(typeof rules)[K]>[0] };

/** Checks every given field and reports all problems at once. */
export function validateProductFields(fields: Fields): void {
  const problems: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const reason = (rules[key as keyof typeof rules] as (v: unknown) => string | undefined)(value);
    if (reason) problems[key] = reason;
  }
  if (Object.keys(problems).length > 0) throw invalidArgument("invalid product", problems);
}

/** A listing's category filter: a category or nothing; text that no category could be is a mistake. */
export function validateCategoryFilter(filter: string): void {
  if (filter !== "" && !category.test(filter))
    throw invalidArgument("invalid category filter", { category: 'a lowercase slug such as "shoes"' });
}

/** Catalog writes are for admins; the gateway checks too, the service does not rely on it. */
export function requireAdmin(principal: Principal | undefined): void {
  if (!principal?.userId) throw unauthenticated("this operation needs a signed-in principal");
  if (!principal.roles.includes("admin")) throw permissionDenied("only admins change the catalog");
}
