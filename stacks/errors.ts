import type { z } from "zod";
import { configPath } from "./config-keys.js";

/** A stack config that does not fit the platform spec; the message lists every problem. */
export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
  constructor(
    readonly stackName: string,
    readonly problems: readonly string[],
  ) {
    super(`Stack "${stackName}" has invalid config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Walks a schema along a path, through wrappers, to the node that describes it. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = schema;
  for (const part of path) {
    node = unwrap(node);
    const def = node?._zod.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
    if (def?.type === "object" && typeof part === "string") node = def.shape?.[part];
    else if (def?.type === "array" && typeof part === "number") node = def.element;
    else return undefined;
  }
  return node;
}

function unwrap(node: z.ZodType | undefined): z.ZodType | undefined {
  let current = node;
  for (;;) {
    const def = current?._zod.def as { type?: string; innerType?: z.ZodType; in?: z.ZodType } | undefined;
    if (!def) return current;
    if (def.type === "optional" || def.type === "default" || def.type === "nullable") current = def.innerType;
    else if (def.type === "pipe") current = def.in;
    else return current;
  }
}

function describe(schema: z.ZodType, path: readonly PropertyKey[]): string | undefined {
  // A refinement on a whole object reports at the object; walk up to the nearest description.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = schemaAt(schema, path.slice(0, depth));
    const description = node?.description ?? unwrap(node)?.description;
    if (description) return description;
  }
  return undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, part) =>
      value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[part] : undefined,
    input,
  );
}

/** One line per issue: the config key, what went wrong, the shape expected, and what was given. */
export function formatIssues(
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
): string[] {
  return issues.map((issue) => {
    const key = configPath(issue.path);
    const expected = describe(schema, issue.path);
    const got = valueAt(input, issue.path);
    const missing = got === undefined;
    const what = issue.code === "unrecognized_keys" ? issue.message : missing ? "is missing" : issue.message;
    return [
      `${key}: ${what}`,
      expected ? `expected ${expected}` : undefined,
      missing || issue.code === "unrecognized_keys" ? undefined : `got ${JSON.stringify(got)}`,
    ]
      .filter(Boolean)
      .join("; ");
  });
}
