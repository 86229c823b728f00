import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadServiceRegistry } from "../../services/registry.js";
import { architectureDiagram, withDiagram } from "./diagram.js";

const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");

describe("the architecture diagram", () => {
  it("in README.md is exactly what the registry generates (run `npm run docs:architecture`)", async () => {
    const diagram = architectureDiagram(await loadServiceRegistry());
    expect(withDiagram(readme, diagram)).toBe(readme);
  });

  it("draws every call, store and topic of the registry", async () => {
    const services = await loadServiceRegistry();
    const diagram = architectureDiagram(services);
    expect(diagram).toContain("orders -->|gRPC| catalog");
    expect(diagram).toContain("search -.-> os");
    expect(diagram).toContain("catalog -- outbox --> t_catalog_events_v1");
    expect(diagram).toContain("t_orders_events_v1 --> audit");
    expect(diagram).not.toContain("t_orders_events_v1 --> search");
  });
});
