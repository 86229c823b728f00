import { describe, expect, it } from "vitest";
import { toJson } from "./http.js";

describe("toJson", () => {
  it("serializes a body without bigints as JSON.stringify does", () => {
    const product = {
      id: "p1",
      price: { amountMinor: 12999, currency: "EUR" },
      tags: ["a"],
      gone: undefined,
    };
    expect(toJson(product)).toBe(JSON.stringify(product));
  });

  it("sends int64 fields, which arrive as bigint, as numbers", () => {
    expect(toJson({ total: 12n, nested: [{ sequence: 9007199254740991n }] })).toBe(
      '{"total":12,"nested":[{"sequence":9007199254740991}]}',
    );
  });

  it("still fails on what JSON cannot hold, such as a cycle", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => toJson(cyclic)).toThrow(/circular/i);
  });
});
