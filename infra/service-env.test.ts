import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addressVariable } from "../contracts/service-spec.js";
import { type LocalContext, localServiceEnv } from "../local/service-env.js";
import { PlanIndex } from "../scripts/plan/plan-index.js";
import type { PlannedResource } from "../scripts/plan/plan-types.js";
import { planStack } from "../scripts/plan/run.js";
import { loadServiceRegistry, type RegisteredService } from "../services/registry.js";
import { parseKeyEncryptionKey } from "../services/runtime/sealing.js";
import {
  type ConfigSchema,
  configProblems,
  configSchemasOf,
  type PlannedObject,
  resolveContainerEnv,
} from "../test/service-config.js";
import program from "./index.js";

/**
 * The consistency test between what the deployment (and `npm start`) gives each service
 * and what the service requires: every registered service's environment, resolved to what
 * its process sees, must pass the same validation the service runs at start.
 */

interface Container {
  name: string;
  env?: unknown[];
  envFrom?: unknown[];
}
const metadataOf = (r: PlannedResource) => r.inputs["metadata"] as { name: string; namespace?: string };

let index: PlanIndex;
let services: RegisteredService[];
const schemas = new Map<string, ConfigSchema[]>();
let dataDir: string;

beforeAll(async () => {
  index = new PlanIndex(await planStack("prod", program));
  services = await loadServiceRegistry();
  for (const service of services) schemas.set(service.name, await configSchemasOf(service));
  // Local mode keeps generated secrets in its data directory: a scratch one here.
  dataDir = mkdtempSync(join(tmpdir(), "platform-service-env-"));
  vi.stubEnv("PLATFORM_DATA_DIR", dataDir);
}, 120_000);

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The service's Rollout in the prod plan, its namespace and its container. */
function podOf(service: RegisteredService): { namespace: string; container: Container } {
  const rollout = index
    .ofType("kubernetes:argoproj.io/v1alpha1:Rollout")
    .find((r) => metadataOf(r).name === service.name);
  if (!rollout) throw new Error(`${service.name}: no Rollout in the prod plan`);
  const containers = (rollout.inputs["spec"] as { template: { spec: { containers: Container[] } } }).template
    .spec.containers;
  const container = containers.find((c) => c.name === service.name);
  if (!container) throw new Error(`${service.name}: its Rollout has no container named ${service.name}`);
  return { namespace: metadataOf(rollout).namespace ?? "default", container };
}

/** A Secret or ConfigMap of the prod plan, by namespace and name. */
const planned =
  (namespace: string) =>
  (kind: "Secret" | "ConfigMap", name: string): PlannedObject | undefined =>
    index
      .ofType(`kubernetes:core/v1:${kind}`)
      .find((r) => metadataOf(r).name === name && (metadataOf(r).namespace ?? "default") === namespace)
      ?.inputs as PlannedObject | undefined;

/** The environment of the service's production pod, resolved, with the problems met on the way. */
function productionEnv(service: RegisteredService, edit: (env: unknown[]) => unknown[] = (e) => e) {
  const { namespace, container } = podOf(service);
  const resolved = resolveContainerEnv(
    { ...container, env: edit(structuredClone(container.env ?? [])) },
    { service, namespace, object: planned(namespace) },
  );
  return { namespace, ...resolved };
}

function productionProblems(service: RegisteredService, edit?: (env: unknown[]) => unknown[]): string[] {
  const { env, problems } = productionEnv(service, edit);
  return [...problems, ...configProblems(service, schemas.get(service.name)!, env, "production")];
}

const byName = (name: string) => services.find((s) => s.name === name)!;
const without =
  (variable: string) =>
  (env: unknown[]): unknown[] =>
    env.filter((e) => (e as { name: string }).name !== variable);
const replaced =
  (variable: string, valueFrom: object) =>
  (env: unknown[]): unknown[] =>
    env.map((e) => ((e as { name: string }).name === variable ? { name: variable, valueFrom } : e));

describe("every service's production pod (prod plan)", () => {
  it("gets every variable its config requires, valid, from Secrets and ConfigMaps the plan creates", () => {
    expect(services.flatMap((service) => productionProblems(service))).toEqual([]);
  });

  it("dials each callee at the callee's main Service in the plan, on the port it exposes", () => {
    for (const service of services) {
      const { namespace, env } = productionEnv(service);
      for (const callee of service.calls) {
        const address = env[addressVariable(callee)];
        expect(address, `${service.name} → ${callee}`).toBe(
          `${callee}.${namespace}.svc.cluster.local:${byName(callee).port}`,
        );
        const target = index
          .ofType("kubernetes:core/v1:Service")
          .find((r) => metadataOf(r).name === callee && metadataOf(r).namespace === namespace);
        const ports = (target?.inputs["spec"] as { ports: { port: number }[] } | undefined)?.ports ?? [];
        expect(
          ports.map((p) => p.port),
          `${service.name} → ${callee}`,
        ).toContain(byName(callee).port);
      }
    }
  });
});

describe("every service in local mode (npm start)", () => {
  const context = (): LocalContext => ({
    services,
    databases: Object.fromEntries(
      services
        .filter((s) => s.stores.includes("postgres"))
        .map((s) => [
          s.name,
          {
            url: `postgres://${s.name}_svc:pw@127.0.0.1:15432/${s.name}`,
            migrationUrl: `postgres://${s.name}_owner:pw@127.0.0.1:15432/${s.name}`,
          },
        ]),
    ),
    servers: {
      PLATFORM_POSTGRES_URL: "postgres://postgres:pw@127.0.0.1:15432/postgres",
      PLATFORM_REDIS_URL: "redis://:pw@127.0.0.1:16379",
      PLATFORM_KAFKA_BROKERS: "127.0.0.1:19092",
      PLATFORM_OPENSEARCH_URL: "http://127.0.0.1:19200",
      PLATFORM_OTLP_ENDPOINT: "http://127.0.0.1:14318",
    },
    gatewayPort: 8080,
    adminEmail: "admin@platform.local",
    adminPassword: "correct-horse-battery-staple-42",
  });

  it("gets every variable its config requires, valid", () => {
    const problems = services.flatMap((service) =>
      configProblems(service, schemas.get(service.name)!, localServiceEnv(service, context()), "local"),
    );
    expect(problems).toEqual([]);
  });

  it("gets every variable valid in each zone too (`--zones 3`: callees listed as replicas)", () => {
    const zoned: LocalContext = { ...context(), zones: ["a", "b", "c"] };
    const problems = services.flatMap((service) =>
      (["a", "b", "c"] as const).flatMap((zone) =>
        configProblems(service, schemas.get(service.name)!, localServiceEnv(service, zoned, zone), "local"),
      ),
    );
    expect(problems).toEqual([]);
  });

  it("gets the secrets the registry declares, generated once and the same after a restart", () => {
    for (const service of services.filter((s) => s.secrets.length > 0)) {
      const first = localServiceEnv(service, context());
      const again = localServiceEnv(service, context());
      for (const { env } of service.secrets) {
        expect(parseKeyEncryptionKey(first[env] ?? ""), `${service.name} ${env}`).toBeDefined();
        expect(again[env], `${service.name} ${env}`).toBe(first[env]);
      }
    }
  });
});

describe("the check", () => {
  it("fails naming the service and the variable when a pod lacks a required one (the KEKs)", () => {
    expect(productionProblems(byName("identity"), without("IDENTITY_KEY_ENCRYPTION_KEY"))).toEqual([
      expect.stringMatching(/^identity: .*: IDENTITY_KEY_ENCRYPTION_KEY is required/),
    ]);
  });

  it("fails on a callee address left at its local default", () => {
    expect(productionProblems(byName("orders"), without("CATALOG_ADDRESS"))).toEqual([
      expect.stringMatching(/^orders: .*: CATALOG_ADDRESS is "127\.0\.0\.1:7102", a loopback address/),
    ]);
  });

  it("fails on a reference to a Secret or key the plan does not create", () => {
    const renamed = replaced("NOTIFICATIONS_KEY_ENCRYPTION_KEY", {
      secretKeyRef: { name: "notifications-kek", key: "kek" },
    });
    expect(productionProblems(byName("notifications"), renamed)).toEqual([
      "notifications: NOTIFICATIONS_KEY_ENCRYPTION_KEY reads Secret notifications-kek, which the plan does not create",
      expect.stringMatching(/^notifications: .*: NOTIFICATIONS_KEY_ENCRYPTION_KEY is required/),
    ]);
    const wrongKey = replaced("OPENSEARCH_ENDPOINT", {
      configMapKeyRef: { name: "search-opensearch", key: "url" },
    });
    expect(productionProblems(byName("search"), wrongKey)).toEqual([
      'search: OPENSEARCH_ENDPOINT reads key "url" of ConfigMap search-opensearch, which has no such key',
      expect.stringMatching(/^search: .*server\.ts.*: OPENSEARCH_ENDPOINT is required/),
      expect.stringMatching(/^search: .*reindex.*: OPENSEARCH_ENDPOINT is required/),
    ]);
  });

  it("fails on an invalid value, naming the variable", () => {
    const broken = (env: unknown[]) => [...env, { name: "KAFKA_TOPICS", value: "Not A Topic" }];
    expect(productionProblems(byName("search"), broken)).toEqual([
      "search: KAFKA_TOPICS is set twice in the container",
      expect.stringMatching(/^search: .*: KAFKA_TOPICS a comma-separated list of topic names/),
    ]);
  });
});
