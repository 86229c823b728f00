import { z } from "zod";
import { unknownZone } from "../../contracts/telemetry-schema.js";

/**
 * Service configuration comes from the environment, validated once at start. A bad value
 * stops the service with every problem named by variable, never a crash later.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const secretish = /PASSWORD|SECRET|TOKEN|KEY|URL/;

/** Shows what was given without leaking a credential: URLs lose their password, secrets are hidden. */
function shown(variable: string, value: string | undefined): string {
  if (value === undefined) return "unset";
  if (!secretish.test(variable)) return JSON.stringify(value);
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return JSON.stringify(url.toString());
  } catch {
    return variable.endsWith("URL") ? JSON.stringify(value) : "(hidden)";
  }
}

/** A postgres:// or postgresql:// URL. */
export const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\/[^/]+/.test(v) && URL.canParse(v), {
  error: "not a valid postgres:// URL",
});
/** A redis:// or rediss:// URL. */
export const redisUrl = z.string().refine((v) => /^rediss?:\/\//.test(v) && URL.canParse(v), {
  error: "not a valid redis:// or rediss:// URL",
});
/** A port number; 0 asks the OS for a free one (tests). */
export const port = z.coerce.number().int().min(0).max(65535);
/** A whole number of seconds or milliseconds, from an env string. */
export const count = z.coerce.number().int().nonnegative();

/** Reads and validates `env` against `schema`, whose keys are variable names. */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? "(environment)");
    const value = env[variable];
    const what = value === undefined ? "is required" : issue.message;
    const description = (schema.shape[variable] as z.ZodType | undefined)?.description;
    return `${variable} ${what}${description ? ` (${description})` : ""}; got ${shown(variable, value)}`;
  });
  throw new ConfigError(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
}

/** Settings every service (gRPC or the HTTP gateway) reads, beside those of its stores and its own. */
export const runtimeEnv = z.object({
  HOST: z.string().default("127.0.0.1").describe("the interface to listen on; 0.0.0.0 in a pod"),
  SHUTDOWN_DRAIN_SECONDS: count.default(20).describe("how long in-flight calls may finish after SIGTERM"),
  SERVICE_REVISION: z
    .string()
    .default("dev")
    .describe("the revision label of request metrics (the rollout's pod hash)"),
  ZONE: z.string().default(unknownZone).describe("the availability zone label of request metrics"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});
