import type { Policies } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { reconcileConfig } from "./config.js";

const policies: Policies = [
  {
    name: "bounded",
    description: "d",
    enforcementLevel: "mandatory",
    configSchema: {
      properties: {
        max: { type: "integer", maximum: 50, default: 20 },
        names: { type: "array", items: { type: "string" }, default: ["a"] },
      },
    },
    validateStack: () => {},
  },
  { name: "plain", description: "d", validateStack: () => {} },
];

describe("policy config", () => {
  it("starts from each schema's defaults and the policy's own level", () => {
    const config = reconcileConfig(policies, "advisory");
    expect(config.get("bounded")).toEqual({
      enforcementLevel: "mandatory",
      properties: { max: 20, names: ["a"] },
    });
    expect(config.get("plain")).toEqual({ enforcementLevel: "advisory", properties: {} });
  });

  it("applies `all`, then each policy's entry, as --policy-pack-config does", () => {
    const config = reconcileConfig(policies, "advisory", {
      all: "disabled",
      bounded: { enforcementLevel: "advisory", max: 30 },
    });
    expect(config.get("bounded")).toEqual({
      enforcementLevel: "advisory",
      properties: { max: 30, names: ["a"] },
    });
    expect(config.get("plain")!.enforcementLevel).toBe("disabled");
  });

  it("refuses unknown policies and properties, and values outside the schema, all at once", () => {
    expect(() =>
      reconcileConfig(policies, "advisory", {
        bounded: { max: 99, colour: "red", names: [1] },
        nope: "mandatory",
      }),
    ).toThrow(
      /nope: no such policy[\s\S]*bounded.max: must be <= 50[\s\S]*bounded.colour: is not in the policy's configSchema[\s\S]*bounded.names: \[0\] expected string, got 1/,
    );
  });
});
