/**
 * What each service validates its environment with at start, and a pod's container env
 * resolved to the plain environment its process would see: for the consistency test
 * between the deployment (and local mode) and the services' real config schemas.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { scramPort } from "../components/kafka/kafka.js";
import { consumerGroup } from "../components/kafka/topology.js";
import { connectionUrl, postgresNames, postgresPort } from "../components/postgres/postgres-plan.js";
import { redisNames, redisPort, redisUrl } from "../components/redis/redis-plan.js";
import { generateSecret } from "../contracts/service-spec.js";
import { secretMask } from "../scripts/plan/plan-types.js";
import { gatewayEnv } from "../services/gateway/config.js";
import { bootstrapAdmin } from "../services/identity/server.js";
import { checkTimings } from "../services/orders/server.js";
import type { RegisteredService } from "../services/registry.js";
import { ConfigError, loadConfig } from "../services/runtime/config.js";
import { faultsFromEnv } from "../services/runtime/faults.js";
import { type ServiceDefinition, serviceConfigSchema } from "../services/runtime/run-service.js";
import { reindexEnv } from "../services/search/reindexing.js";

const repoRoot = join(import.meta.dirname, "..");

/** One schema a process of the service validates its environment with. */
export interface ConfigSchema {
  /** What validates with it, for messages. */
  readonly label: string;
  readonly schema: z.ZodObject;
  /** Checks its start makes on the parsed config before opening anything (they throw ConfigError). */
  readonly startCheck?: (config: never) => unknown;
  /** Also `faultsFromEnv`, as `runService` does. */
  readonly faults?: boolean;
}

/** Services whose process is not `runService(definition)`: their own schema. */
const ownSchemas: Readonly<Record<string, readonly ConfigSchema[]>> = {
  gateway: [{ label: "services/gateway/config.ts gatewayEnv", schema: gatewayEnv }],
};

/** Other commands run in a service's pod with its environment. */
const commandSchemas: Readonly<Record<string, readonly ConfigSchema[]>> = {
  search: [{ label: "`node main.mjs reindex` (reindexEnv)", schema: reindexEnv }],
};

/** What `start` checks of its config beside the schema (services/<name>/server.ts). */
const startChecks: Readonly<Record<string, (config: never) => unknown>> = {
  identity: bootstrapAdmin,
  orders: checkTimings,
};

/**
 * Every schema `service`'s processes validate their environment with: `runService`'s
 * composition (`serviceConfigSchema`) of its `services/<name>/server.ts` definition, or its
 * own (the gateway), plus commands run in its pod. Throws for a service it knows no schema of.
 */
export async function configSchemasOf(service: RegisteredService): Promise<ConfigSchema[]> {
  const own = ownSchemas[service.name];
  const commands = commandSchemas[service.name] ?? [];
  if (own) return [...own, ...commands];
  const path = join(repoRoot, "services", service.name, "server.ts");
  const module = (await import(pathToFileURL(path).href)) as {
    definition?: ServiceDefinition<never, z.ZodRawShape>;
  };
  if (!module.definition)
    throw new Error(
      `${service.name}: services/${service.name}/server.ts exports no \`definition\`; ` +
        "name its config schema in test/service-config.ts",
    );
  const check = startChecks[service.name];
  return [
    {
      label: `services/${service.name}/server.ts (serviceConfigSchema)`,
      schema: serviceConfigSchema(module.definition),
      faults: true,
      ...(check ? { startCheck: check } : {}),
    },
    ...commands,
  ];
}

/** A loopback host in a value: right in local mode, a default left unset in a pod. */
const loopback = /(^|[/@[])(127(\.\d{1,3}){3}|localhost|::1)(\]|:|\/|$)/i;

/**
 * Validates `env` as the service does at start, and returns every problem, each naming the
 * service and the variable. In production, no parsed value may point at a loopback address:
 * those are local-mode defaults a pod must override (`<CALLEE>_ADDRESS`, above all).
 */
export function configProblems(
  service: RegisteredService,
  schemas: readonly ConfigSchema[],
  env: NodeJS.ProcessEnv,
  mode: "production" | "local",
): string[] {
  const problems: string[] = [];
  const failed = (label: string, err: unknown) => {
    if (!(err instanceof ConfigError)) throw err;
    const lines = err.message.replace(/^invalid configuration:\s*(-\s*)?/, "").split(/\n\s*-\s*/);
    for (const line of lines.filter(Boolean)) problems.push(`${service.name}: ${label}: ${line}`);
  };
  for (const { label, schema, startCheck, faults } of schemas) {
    let config: Record<string, unknown>;
    try {
      config = loadConfig(schema, env) as Record<string, unknown>;
      startCheck?.(config as never);
      if (faults) faultsFromEnv(env);
    } catch (err) {
      failed(label, err);
      continue;
    }
    if (mode === "production")
      // Replica lists (`<CALLEE>_ADDRESS`) are arrays: any loopback entry counts.
      for (const [variable, value] of Object.entries(config))
        if ([value].flat().some((v) => typeof v === "string" && loopback.test(v)))
          problems.push(
            `${service.name}: ${label}: ${variable} is ${JSON.stringify(Array.isArray(value) ? value.join(",") : value)}, a loopback address ` +
              `(its local default?); the pod must set it`,
          );
  }
  for (const secret of service.secrets)
    if (!schemas.some(({ schema }) => secret.env in schema.shape))
      problems.push(`${service.name}: declares the secret ${secret.env}, which no config schema of it reads`);
  return problems;
}

/** The environment the service image sets (the Dockerfile's last stage's ENV), under the pod's. */
export function imageEnv(
  dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8"),
): Record<string, string> {
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const lastStage = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  const env: Record<string, string> = {};
  for (const line of lines.slice(lastStage + 1)) {
    const match = /^ENV\s+(.*)$/i.exec(line.trim());
    if (!match) continue;
    for (const pair of match[1]!.trim().split(/\s+/)) {
      const [key, ...value] = pair.split("=");
      if (key && value.length > 0) env[key] = value.join("=");
    }
  }
  return env;
}

/** A Kubernetes object of the plan: what a container's env refers to. */
export interface PlannedObject {
  /** Its entries, or the mask when the plan hides them all. */
  readonly data?: Record<string, unknown> | string;
  readonly stringData?: Record<string, unknown> | string;
}

export interface EnvSources {
  readonly service: RegisteredService;
  /** The pod's namespace. */
  readonly namespace: string;
  /** The Secret or ConfigMap of that name in the pod's namespace, if the plan creates it. */
  readonly object: (kind: "Secret" | "ConfigMap", name: string) => PlannedObject | undefined;
}

/**
 * Stand-ins for what the plan masks (a Kubernetes Secret's whole `stringData` is secret),
 * by variable, in the shape the store components write, made with their own functions
 * where they have them. A new masked variable without one fails the test, naming it.
 */
function maskedStandIn(variable: string, service: RegisteredService): string | undefined {
  const declared = service.secrets.find((s) => s.env === variable);
  if (declared) return generateSecret(declared.generate);
  const postgres = postgresNames(service.name);
  const broker = (i: number) => `b-${i}.platform-prod.abc123.c2.kafka.eu-west-1.amazonaws.com:${scramPort}`;
  const standIns: Record<string, string> = {
    POSTGRES_URL: connectionUrl({
      host: "platform-prod.cluster-abc123def456.eu-west-1.rds.amazonaws.com",
      port: postgresPort,
      database: postgres.database,
      username: postgres.role,
      password: "p/ss@w:rd+",
      sslmode: "verify-full",
    }),
    REDIS_URL: redisUrl("master.platform-prod.abc123.euw1.cache.amazonaws.com", redisPort, "auth/t@ken+"),
    REDIS_KEY_PREFIX: redisNames(service.name).keyPrefix,
    KAFKA_BROKERS: [1, 2, 3].map(broker).join(","),
    KAFKA_USERNAME: service.name,
    KAFKA_PASSWORD: "scram-password",
    KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
    KAFKA_CLIENT_ID: service.name,
    KAFKA_CONSUMER_GROUP: consumerGroup(service),
    CALL_SIGNING_KEY: generateSecret("key-256-base64"),
  };
  return standIns[variable];
}

/** What the downward API would give, by field path. */
function fieldValue(fieldPath: string, sources: EnvSources): string {
  const hash = "6d4cf56db6";
  const values: Record<string, string> = {
    "metadata.name": `${sources.service.name}-${hash}-x7k2p`,
    "metadata.namespace": sources.namespace,
    "spec.nodeName": "ip-10-0-1-1.eu-west-1.compute.internal",
    "spec.serviceAccountName": sources.service.name,
    "metadata.labels['rollouts-pod-template-hash']": hash,
  };
  return values[fieldPath] ?? "10.0.0.1";
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string };
  };
}

/**
 * The plain environment a container's process sees: the image's ENV, then the container's
 * `env` in order, `$(VAR)` expanded as the kubelet does; references resolved against the
 * plan (a missing Secret, ConfigMap or key is a problem), masked secrets replaced by
 * stand-ins of the right shape, downward-API fields by realistic values.
 */
export function resolveContainerEnv(
  container: { env?: unknown[]; envFrom?: unknown[] },
  sources: EnvSources,
): { env: Record<string, string>; problems: string[] } {
  const name = sources.service.name;
  const env: Record<string, string> = { ...imageEnv() };
  const problems: string[] = [];
  const seen = new Set<string>();
  if (container.envFrom?.length) problems.push(`${name}: envFrom is not resolved by this check`);
  const expand = (value: string) =>
    value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, variable: string) =>
      seen.has(variable) ? env[variable]! : whole,
    );
  const referenced = (kind: "Secret" | "ConfigMap", ref: { name: string; key: string }, variable: string) => {
    const object = sources.object(kind, ref.name);
    if (object === undefined) {
      problems.push(`${name}: ${variable} reads ${kind} ${ref.name}, which the plan does not create`);
      return undefined;
    }
    const entries = object.stringData ?? object.data;
    // A masked map hides its keys; a visible one must hold the key.
    const value =
      entries === secretMask ? secretMask : (entries as Record<string, unknown> | undefined)?.[ref.key];
    if (value === undefined) {
      problems.push(
        `${name}: ${variable} reads key "${ref.key}" of ${kind} ${ref.name}, which has no such key`,
      );
      return undefined;
    }
    if (value !== secretMask) return String(value);
    const standIn = maskedStandIn(variable, sources.service);
    if (standIn === undefined)
      problems.push(
        `${name}: ${variable} is a masked secret with no stand-in; add one in test/service-config.ts`,
      );
    return standIn;
  };
  for (const raw of container.env ?? []) {
    const variable = raw as EnvVar;
    if (seen.has(variable.name)) problems.push(`${name}: ${variable.name} is set twice in the container`);
    let value: string | undefined;
    const from = variable.valueFrom;
    if (from?.secretKeyRef) value = referenced("Secret", from.secretKeyRef, variable.name);
    else if (from?.configMapKeyRef) value = referenced("ConfigMap", from.configMapKeyRef, variable.name);
    else if (from?.fieldRef) value = fieldValue(from.fieldRef.fieldPath, sources);
    else if (from?.resourceFieldRef) value = "1";
    else if (from) problems.push(`${name}: ${variable.name} has a valueFrom this check does not know`);
    else value = expand(variable.value ?? "");
    if (value === undefined) continue;
    env[variable.name] = value;
    seen.add(variable.name);
  }
  return { env, problems };
}
