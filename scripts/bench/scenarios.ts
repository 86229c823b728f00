/**
 * The scenarios `npm run bench` measures, in the order each run measures them. A new
 * scenario is a name here, a title, and a case in `measure.ts`.
 */
export const scenarioNames = ["bare", "raw-hop", "grpc-direct", "gateway", "gateway-half"] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const scenarioTitles: Readonly<Record<ScenarioName, string>> = {
  bare: "bare node:http, the same JSON (ceiling, no hop)",
  "raw-hop": "node:http front, raw node:http2 hop (ceiling)",
  "grpc-direct": "GetProduct straight to catalog, thin gRPC client",
  gateway: "gateway GET /v1/products/{id}, JWT, cached",
  "gateway-half": "the same at 50% of its peak, open loop",
};

/** Scenarios that need the one before them in the same run: the half-peak load needs the peak. */
const needs: Partial<Record<ScenarioName, ScenarioName>> = { "gateway-half": "gateway" };

/** `--scenarios a,b` as the scenarios to run, in measuring order, with what they need added. */
export function selectScenarios(list: string | undefined): ScenarioName[] {
  if (list === undefined || list.trim() === "") return [...scenarioNames];
  const wanted = new Set<ScenarioName>();
  for (const raw of list.split(",")) {
    const name = raw.trim() as ScenarioName;
    if (!scenarioNames.includes(name))
      throw new Error(`unknown scenario "${raw.trim()}"; the scenarios are ${scenarioNames.join(", ")}`);
    wanted.add(name);
    const needed = needs[name];
    if (needed) wanted.add(needed);
  }
  return scenarioNames.filter((name) => wanted.has(name));
}
