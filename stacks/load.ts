import { configKeys } from "./config-keys.js";
import { formatIssues, StackConfigError } from "./errors.js";
import { type PlatformSpec, type PlatformSpecInput, platformSpecSchema } from "./schema.js";

/** Reads one stack config value the way Pulumi stores it: a string, JSON for objects. */
export type ConfigReader = (key: string) => string | undefined;

/**
 * Validates raw stack config into a PlatformSpec, or throws a StackConfigError that names
 * every bad key with the shape it expects.
 */
export function parsePlatformSpec(stack: string, raw: Record<string, unknown>): PlatformSpec {
  const result = platformSpecSchema.safeParse(raw);
  if (!result.success) {
    throw new StackConfigError(stack, formatIssues(platformSpecSchema, result.error.issues, raw));
  }
  return result.data;
}

/** Reads every spec section from stack config (JSON values are decoded) and validates it. */
export function readPlatformSpec(stack: string, read: ConfigReader): PlatformSpec {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [section, key] of Object.entries(configKeys) as [keyof PlatformSpecInput, string][]) {
    const value = read(key);
    if (value === undefined) continue;
    try {
      raw[section] = decode(value);
    } catch {
      problems.push(`${key}: is not valid JSON; got ${JSON.stringify(value)}`);
    }
  }
  if (problems.length > 0) throw new StackConfigError(stack, problems);
  return parsePlatformSpec(stack, raw);
}

/** Pulumi hands structured config to programs as JSON text and scalars as plain strings. */
function decode(value: string): unknown {
  const trimmed = value.trim();
  return trimmed.startsWith("{") || trimmed.startsWith("[") ? JSON.parse(trimmed) : value;
}
