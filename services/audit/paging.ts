import { invalidArgument } from "../runtime/errors.js";

export const defaultPageSize = 50;
export const maxPageSize = 500;

/** Where a page starts and how long it is; the cursor is the last sequence seen, opaque to clients. */
export interface Page {
  readonly after: string;
  readonly limit: number;
}

const prefix = "seq:";
const maxSequence = 2n ** 63n - 1n;

export const encodeCursor = (sequence: string) => Buffer.from(`${prefix}${sequence}`).toString("base64url");

export function pageRequest(page: { cursor: string; limit: number } | undefined): Page {
  const limit = page?.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > maxPageSize)
    throw invalidArgument("limit out of range", { limit: `1 to ${maxPageSize}; 0 for ${defaultPageSize}` });
  const cursor = page?.cursor ?? "";
  if (!cursor) return { after: "0", limit: limit || defaultPageSize };
  const text = Buffer.from(cursor, "base64url").toString();
  const sequence = text.startsWith(prefix) ? text.slice(prefix.length) : "";
  const valid = /^[1-9]\d{0,18}$/.test(sequence) && BigInt(sequence) <= maxSequence;
  if (!valid || encodeCursor(sequence) !== cursor)
    throw invalidArgument("the cursor is not one this API returned", { cursor: "malformed" });
  return { after: sequence, limit: limit || defaultPageSize };
}

/** One page of `rows` fetched with limit + 1: the extra row only says there is more. */
export function pageOf<R extends { sequence: string }>(rows: readonly R[], limit: number) {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.sequence) : "" };
}
