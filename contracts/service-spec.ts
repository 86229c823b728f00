import { randomBytes } from "node:crypto";
import { z } from "zod";
import { latencyBuckets, latencyObjective } from "./telemetry-schema.js";

/**
 * What a service declares about itself in `services/<name>/service.ts`: the one source of
 * truth the infrastructure reads to create its database and role, topics and ACLs,
 * secrets, rollout, autoscaler and alerts, and the runtime reads for its port.
 */

const serviceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,30}$/, { error: 'a lowercase DNS label, e.g. "catalog"' });
const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Mi|Gi)?$/, { error: 'a Kubernetes quantity, e.g. "250m" or "256Mi"' });
const duration = z.string().regex(/^\d+(s|m|h)$/, { error: 'a duration such as "30s", "2m" or "1h"' });

/**
 * How a generated secret is made. Production creates it once in the Pulumi program
 * (`random.RandomBytes`, components/microservice/generated-secrets.ts) and local mode once
 * per checkout (local/service-env.ts), both from this table, so the two cannot differ.
 */
export const secretGenerators = {
  /** 32 random bytes in base64, e.g. a key-encryption key (`openssl rand -base64 32`). */
  "key-256-base64": { bytes: 32, encoding: "base64" },
} as const satisfies Record<string, { bytes: number; encoding: "base64" | "hex" }>;
export type SecretGenerator = keyof typeof secretGenerators;

/** A fresh value of a generated secret (local mode, tests); production's comes from the Pulumi program. */
export function generateSecret(generator: SecretGenerator): string {
  const { bytes, encoding } = secretGenerators[generator];
  return randomBytes(bytes).toString(encoding);
}

const envVariable = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'an environment variable name, e.g. "IDENTITY_KEY_ENCRYPTION_KEY"' });

const generatedSecret = z
  .object({
    /** The variable the service reads it from. */
    env: envVariable,
    /** How it is made; see `secretGenerators`. */
    generate: z.enum(Object.keys(secretGenerators) as [SecretGenerator, ...SecretGenerator[]]),
  })
  .strict();

/** "write-once": object storage where nothing written is ever changed or deleted (S3 Object Lock). */
export const stores = ["postgres", "redis", "opensearch", "write-once"] as const;
export const databaseAccesses = ["read-write", "append-only"] as const;
export type DatabaseAccess = (typeof databaseAccesses)[number];
export type Store = (typeof stores)[number];

const canary = z
  .object({
    strategy: z.literal("canary"),
    /** Traffic percentages, in order; each is held for `pause` and must pass analysis. 100% follows the last. */
    weights: z
      .array(z.number().int().min(1).max(99))
      .min(1)
      .refine((w) => w.every((v, i) => i === 0 || v > w[i - 1]!), { error: "weights must increase" }),
    pause: duration,
  })
  .strict();

const blueGreen = z
  .object({
    strategy: z.literal("blueGreen"),
    /** Promote automatically once pre-promotion analysis passes, or wait for a person. */
    autoPromote: z.boolean(),
  })
  .strict();

/** A share of requests an objective promises, e.g. 0.999: 14.4 times its budget stays below 100%. */
const objective = z
  .number()
  .min(0.95, { error: "a share of requests such as 0.999 (99.9%), from 0.95 to below 1" })
  .lt(1, { error: "a share of requests such as 0.999 (99.9%), from 0.95 to below 1" });

/**
 * The service level objectives its burn-rate alerts guard (components/alerting/burn-rate.ts),
 * over a rolling window: the share of requests that succeed, and the share that finish
 * within a latency bound (a bucket bound of the request histogram, so it can be counted).
 */
const slo = z
  .object({
    /** Share of requests with outcome "ok". */
    availability: objective.default(0.999),
    /** Share of requests (any outcome) that finish within `thresholdSeconds`. */
    latency: z
      .object({
        target: objective.default(0.99),
        thresholdSeconds: z
          .number()
          .refine((s) => latencyBuckets.includes(s), {
            error: `a bucket bound of the request histogram: ${latencyBuckets.join(", ")} (seconds)`,
          })
          .default(latencyObjective.p99Seconds),
      })
      .strict()
      .prefault({}),
    /** The rolling window the objectives (and so their error budgets) are measured over. */
    windowDays: z.number().int().min(7).max(90).default(30),
  })
  .strict();

export const serviceSpecSchema = z
  .object({
    name: serviceName,
    summary: z.string().min(10),
    /** The port the service listens on: gRPC, or HTTP for the public gateway. */
    port: z.number().int().min(1024).max(65535),
    protocol: z.enum(["grpc", "http"]),
    /** Serves the public API (directly or through the gateway): it gets the p99 latency page. */
    public: z.boolean(),
    /**
     * Services this one calls: their NetworkPolicies admit it, and they accept its call
     * tokens (services/runtime/rpc/caller-check.ts), on every RPC not in their `methodCallers`.
     */
    calls: z.array(serviceName).default([]),
    /**
     * RPCs only some callers may call, by RPC name, e.g. catalog's `ReserveStock` for orders
     * alone: the callee refuses anyone else with PERMISSION_DENIED.
     */
    methodCallers: z.record(z.string().regex(/^[A-Z][A-Za-z0-9]*$/), z.array(serviceName).min(1)).default({}),
    /**
     * It authenticates end users (JWTs, signed requests) and names them in its call tokens:
     * the only callers whose principal a service believes (the gateway).
     */
    authenticatesUsers: z.boolean().default(false),
    stores: z.array(z.enum(stores)).default([]),
    /**
     * What its login role may do to the rows of its database (components/postgres
     * `loginRolePrivileges`): "read-write", or "append-only" (read and insert: audit).
     * Schema changes are the owner role's alone, in migrations.
     */
    databaseAccess: z.enum(databaseAccesses).default("read-write"),
    /**
     * Secrets generated for it once and never rotated by a deployment (a key-encryption
     * key); each reaches the pod as its variable, from the Secret `<name>-generated`.
     */
    secrets: z
      .array(generatedSecret)
      .default([])
      .refine((list) => new Set(list.map((s) => s.env)).size === list.length, {
        error: "each secret needs its own env variable",
      }),
    events: z
      .object({
        /** Publishes its state changes to `<name>.events.v1` through the outbox. */
        publishes: z.boolean().default(false),
        /** Producing services whose `<domain>.events.v1` it consumes, or "all" of them. */
        consumes: z.union([z.literal("all"), z.array(serviceName)]).default([]),
      })
      .strict()
      .default({ publishes: false, consumes: [] }),
    scaling: z
      .object({
        min: z.number().int().min(2).default(2),
        max: z.number().int().max(20).default(20),
        /** Average CPU utilisation, percent of requests, that adds pods. */
        cpuUtilization: z.number().int().min(10).max(95).default(70),
        /** In-flight requests per pod (the `rpc_queue_depth` gauge) that adds pods. */
        queueDepthPerPod: z.number().int().positive().default(20),
      })
      .strict()
      .refine((s) => s.min <= s.max, { error: "scaling.min must not exceed scaling.max" })
      .default({ min: 2, max: 20, cpuUtilization: 70, queueDepthPerPod: 20 }),
    /** Its SLOs; every service has the defaults (99.9% available, 99% under 200 ms, 30 days) unless it says otherwise. */
    slo: slo.prefault({}),
    rollout: z.discriminatedUnion("strategy", [canary, blueGreen]),
    resources: z
      .object({
        cpu: quantity,
        memory: quantity,
        cpuLimit: quantity,
        memoryLimit: quantity,
      })
      .strict(),
  })
  .strict();

export type ServiceSpec = z.output<typeof serviceSpecSchema>;
export type ServiceSpecInput = z.input<typeof serviceSpecSchema>;

/** Declares a service; a mistake fails at load with the service and field named. */
export function defineService(input: ServiceSpecInput): ServiceSpec {
  const result = serviceSpecSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`service "${input.name}" is declared wrongly:\n  - ${problems.join("\n  - ")}`);
  }
  return result.data;
}

/** The variable a caller finds `service` through, `<NAME>_ADDRESS` (host:port), e.g. `CATALOG_ADDRESS`. */
export const addressVariable = (service: string) => `${service.toUpperCase().replace(/-/g, "_")}_ADDRESS`;

/** The Kafka topic a publishing service writes its events to. */
export const eventsTopic = (domain: string) => `${domain}.events.v1`;
/** The topic where a consuming service parks events it could not handle. */
export const deadLetterTopic = (service: string) => `${service}.deadletter.v1`;
