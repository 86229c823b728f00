import { describe, expect, it } from "vitest";
import { timeoutMs } from "./wire.js";

describe("timeoutMs", () => {
  it.each([
    ["1000m", 1_000],
    ["2S", 2_000],
    ["3M", 180_000],
    ["1H", 3_600_000],
    ["1500u", 1.5],
    ["2000000n", 2],
    ["99999999S", 99_999_999_000],
    ["0m", 0],
  ])("reads %s as %d ms", (header, ms) => {
    expect(timeoutMs(header)).toBe(ms);
  });

  it.each([
    ["no header", undefined],
    ["an empty one", ""],
    ["a unit alone", "m"],
    ["digits without a unit", "100"],
    ["an unknown unit", "100x"],
    ["nine digits", "123456789m"],
    ["a sign", "-5m"],
    ["a space", "1 m"],
    ["a repeated header", ["1m", "2m"]],
  ])("gives no deadline for %s", (_, header) => {
    expect(timeoutMs(header)).toBe(Number.POSITIVE_INFINITY);
  });
});
