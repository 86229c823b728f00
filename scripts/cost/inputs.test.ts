import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPlan } from "../plan/read-plan.js";
import { defaultAssumptions, loadAssumptions } from "./assumptions.js";
import { defaultPriceFile, loadPriceTable, pricesFor } from "./price-table.js";

const dir = mkdtempSync(join(tmpdir(), "cost-inputs-"));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe("the price table", () => {
  it("in the repository is valid, dated, and has both stacks' regions", () => {
    const table = loadPriceTable();
    expect(table.taken).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(table.regions).sort()).toEqual(["eu-central-1", "eu-west-1"]);
    expect(table.file).toBe(defaultPriceFile);
  });

  it("refuses a missing file, a file that is not a table, and a price that is not a number, by path", () => {
    expect(() => loadPriceTable(join(dir, "nowhere.yaml"))).toThrow(
      /price table .*nowhere.yaml does not exist/,
    );
    expect(() => loadPriceTable(file("list.yaml", "- 1\n- 2\n"))).toThrow(/is not a price table/);
    const table = loadPriceTable();
    const broken = structuredClone({ ...table, file: undefined });
    (broken.regions["eu-west-1"]!.ec2.instanceHour as Record<string, unknown>)["m7i.large"] = "cheap";
    expect(() => loadPriceTable(file("broken.json", JSON.stringify(broken)))).toThrow(
      "regions.eu-west-1.ec2.instanceHour.m7i.large:",
    );
  });

  it("has no prices for a region it does not list, and says which it has", () => {
    expect(() => pricesFor(loadPriceTable(), "us-east-1")).toThrow(
      /no prices for region us-east-1 \(it has eu-west-1, eu-central-1\)/,
    );
  });
});

describe("usage assumptions", () => {
  it("take a file's defaults and per-resource figures over the stated ones", () => {
    const assumptions = loadAssumptions(
      file(
        "a.yaml",
        "natProcessedGiB: 300\nbyResource:\n  platform-prod-observability-mimir: { s3StoredGiB: 2000 }\n",
      ),
    );
    expect(assumptions.values.natProcessedGiB).toBe(300);
    expect(assumptions.values.s3StoredGiB).toBe(defaultAssumptions.s3StoredGiB.value);
    expect(assumptions.byResource).toEqual({ "platform-prod-observability-mimir": { s3StoredGiB: 2000 } });
  });

  it("refuses an unknown name and a negative figure, naming both", () => {
    expect(() =>
      loadAssumptions(file("b.yaml", "natGiB: 3\nbyResource:\n  x: { s3StoredGiB: -1 }\n")),
    ).toThrow(/natGiB: no such assumption .*\n.*byResource\.x\.s3StoredGiB: expected a number >= 0, got -1/);
  });
});

describe("plans to price", () => {
  it("a missing file or JSON that is not a plan is refused, naming the file", () => {
    expect(() => readPlan(join(dir, "missing.json"))).toThrow(/missing.json: cannot read a plan/);
    expect(() => readPlan(file("cost.json", '{"monthly": 12}'))).toThrow(/cost.json: not a plan/);
  });
});
