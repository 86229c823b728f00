/**
 * The scenarios `npm run bench` measures, in the order each run measures them: each path
 * of the platform right after its ceiling. A new scenario is a name here, a title, and a
 * case in `measure.ts`.
 */
export const scenarioNames = [
  "bare",
  "raw-hop",
  "grpc-direct",
  "gateway",
  "gateway-half",
  "pg-read",
  "gateway-uncached",
  "pg-write",
  "place-order",
  "event-pipeline",
  "kafka",
  "outbox-drain",
  "kafka-drain",
] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const scenarioTitles: Readonly<Record<ScenarioName, string>> = {
  bare: "bare node:http, the same JSON (ceiling, no hop)",
  "raw-hop": "node:http front, raw node:http2 hop (ceiling)",
  "grpc-direct": "GetProduct straight to catalog, thin gRPC client",
  gateway: "gateway GET /v1/products/{id}, JWT, cached",
  "gateway-half": "the same at 50% of its peak, open loop",
  "pg-read": "raw hop + PostgreSQL read by id (ceiling)",
  "gateway-uncached": "gateway GET /v1/products/{id}, cache miss",
  "pg-write": "an order's 3 commits, straight SQL (ceiling)",
  "place-order": "gateway POST /v1/orders, saga via catalog",
  "event-pipeline": "events: commit -> audit stored, 50% of orders",
  kafka: "events: Kafka produce -> consume (ceiling)",
  "outbox-drain": "events/s: outbox backlog -> audit stored",
  "kafka-drain": "events/s: Kafka produce -> consume (ceiling)",
};

/** Scenarios that need the one before them in the same run: a rate taken from its result. */
const needs: Partial<Record<ScenarioName, ScenarioName>> = {
  "gateway-half": "gateway",
  "event-pipeline": "place-order",
  kafka: "event-pipeline",
};

/** `--scenarios a,b` as the scenarios to run, in measuring order, with what they need added. */
export function selectScenarios(list: string | undefined): ScenarioName[] {
  if (list === undefined || list.trim() === "") return [...scenarioNames];
  const wanted = new Set<ScenarioName>();
  for (const raw of list.split(",")) {
    let name = raw.trim() as ScenarioName | undefined;
    if (!scenarioNames.includes(name!))
      throw new Error(`unknown scenario "${raw.trim()}"; the scenarios are ${scenarioNames.join(", ")}`);
    for (; name; name = needs[name]) wanted.add(name);
  }
  return scenarioNames.filter((name) => wanted.has(name));
}
