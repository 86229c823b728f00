import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import { invalidArgument, permissionDenied, unauthenticated } from "../runtime/errors.js";

/** Field rules shared by create and update; each returns a reason or undefined. */
const rules = {
  sku: (v: string) => (/^[A-Z0-9][A-Z0-9-]{1,63}$/.test(v) ? undefined : "2 to 64 of A-Z, 0-9 and -"),
  name: (v: string) => (v.trim().length >= 1 && v.length <= 200 ? undefined : "1 to 200 characters"),
  description: (v: string) => (v.length <= 5000 ? undefined : "at most 5000 characters"),
  category: (v: string) =>
    /^[a-z0-9][a-z0-9-]{0,63}$/.test(v) ? undefined : 'a lowercase slug such as "shoes"',
  currency: (v: string) => (/^[A-Z]{3}$/.test(v) ? undefined : 'an ISO 4217 code such as "EUR"'),
  priceMinor: (v: bigint) => (v >= 0n && v <= 1_000_000_000_00n ? undefined : "0 or more minor units"),
  stock: (v: number) =>
    Number.isInteger(v) && v >= 0 && v <= 10_000_000 ? undefined : "a whole number, 0 or more",
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

/** Catalog writes are for admins; the gateway checks too, the service does not rely on it. */
export function requireAdmin(principal: Principal | undefined): void {
  if (!principal?.userId) throw unauthenticated("this operation needs a signed-in principal");
  if (!principal.roles.includes("admin")) throw permissionDenied("only admins change the catalog");
}
