import { describe, expect, it } from "vitest";
import { changedPaths, diffPlans, renderDiff } from "./diff.js";
import type { Plan, PlannedResource } from "./plan-types.js";

const resource = (
  name: string,
  inputs: Record<string, unknown>,
  parent: string | null = null,
): PlannedResource => ({
  urn: `urn:pulumi:prod::platform::aws:ec2/subnet:Subnet::${name}`,
  type: "aws:ec2/subnet:Subnet",
  name,
  parent,
  custom: true,
  inputs,
  dependencies: {},
});
const plan = (...resources: PlannedResource[]): Plan => ({ stack: "prod", resources });

describe("changedPaths", () => {
  it("names nested keys and array elements that differ", () => {
    const before = { tags: { owner: "a", env: "prod" }, routes: [{ cidr: "0.0.0.0/0", nat: "nat-1" }] };
    const after = { tags: { owner: "b", env: "prod" }, routes: [{ cidr: "0.0.0.0/0", nat: "nat-2" }] };
    expect(changedPaths(before, after)).toEqual(["routes[0].nat", "tags.owner"]);
  });

  it("quotes keys that are not identifiers, so dotted config keys stay one key", () => {
    expect(changedPaths({ config: { "retention.ms": "1" } }, { config: { "retention.ms": "2" } })).toEqual([
      'config["retention.ms"]',
    ]);
  });

  it("reports a key present on one side only", () => {
    expect(changedPaths({ a: 1 }, { a: 1, b: { c: 2 } })).toEqual(["b"]);
  });

  it("finds nothing in equal trees", () => {
    expect(changedPaths({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });
});

describe("diffPlans", () => {
  const a = resource("a", { cidrBlock: "10.0.0.0/24" });
  const b = resource("b", { cidrBlock: "10.0.1.0/24" });
  const c = resource("c", { cidrBlock: "10.0.2.0/24" });

  it("sorts resources into added, removed and changed by URN", () => {
    const diff = diffPlans(plan(a, b), plan(resource("a", { cidrBlock: "10.0.9.0/24" }), c));
    expect(diff.added.map((r) => r.name)).toEqual(["c"]);
    expect(diff.removed.map((r) => r.name)).toEqual(["b"]);
    expect(diff.changed).toEqual([{ urn: a.urn, type: a.type, paths: ["cidrBlock"] }]);
  });

  it("counts a move to another parent as a change", () => {
    const diff = diffPlans(plan(a), plan(resource("a", a.inputs, "urn:other")));
    expect(diff.changed[0]?.paths).toEqual(["(parent)"]);
  });

  it("renders a summary line and every changed path", () => {
    const text = renderDiff(diffPlans(plan(a, b), plan(resource("a", { cidrBlock: "x" }), c)));
    expect(text.split("\n")[0]).toBe("1 to add, 1 to change, 1 to remove");
    expect(text).toContain("      cidrBlock");
  });

  it("says so when nothing changes", () => {
    expect(renderDiff(diffPlans(plan(a), plan(a)), "markdown")).toBe("No infrastructure changes.");
  });
});
