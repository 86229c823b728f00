import { describe, expect, it } from "vitest";
import { defaultPageSize, encodeCursor, pageOf, pageRequest } from "./paging.js";

describe("pages", () => {
  it("starts at the beginning with the default size", () => {
    expect(pageRequest(undefined)).toEqual({ after: "0", limit: defaultPageSize });
    expect(pageRequest({ cursor: "", limit: 500 })).toEqual({ after: "0", limit: 500 });
  });

  it("resumes after the sequence its cursor names", () => {
    const { nextCursor } = pageOf([{ sequence: "7" }, { sequence: "9" }, { sequence: "12" }], 2);
    expect(pageRequest({ cursor: nextCursor, limit: 2 })).toEqual({ after: "9", limit: 2 });
  });

  it("has no next cursor on the last page", () => {
    expect(pageOf([{ sequence: "7" }], 2)).toEqual({ items: [{ sequence: "7" }], nextCursor: "" });
  });

  it.each([-1, 501])("refuses the limit %i", (limit) => {
    expect(() => pageRequest({ cursor: "", limit })).toThrow(/limit out of range/);
  });

  it.each([
    ["not base64 of a cursor", "bm9wZQ"],
    ["a sequence that is not a number", encodeCursor("x1")],
    ["a sequence beyond bigint", encodeCursor("9223372036854775808")],
    ["a leading zero", encodeCursor("07")],
  ])("refuses a cursor it did not issue: %s", (_case, cursor) => {
    expect(() => pageRequest({ cursor, limit: 0 })).toThrow(/not one this API returned/);
  });
});
