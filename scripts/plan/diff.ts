import { isDeepStrictEqual } from "node:util";
import type { Plan, PlannedResource } from "./plan-types.js";

export interface ChangedResource {
  readonly urn: string;
  readonly type: string;
  /** Input paths whose value differs, e.g. `tags.owner` or `routes[0].natGatewayId`. */
  readonly paths: readonly string[];
}

export interface PlanDiff {
  readonly added: readonly PlannedResource[];
  readonly removed: readonly PlannedResource[];
  readonly changed: readonly ChangedResource[];
}

/** The leaf paths where two input trees differ; a whole subtree counts once when one side lacks it. */
export function changedPaths(a: unknown, b: unknown, prefix = ""): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const bothObjects =
    a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [prefix || "(root)"];
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  return keys.flatMap((key) => {
    const plain = /^[A-Za-z_$][\w$]*$/.test(key);
    const path = Array.isArray(a)
      ? `${prefix}[${key}]`
      : !plain
        ? `${prefix}[${JSON.stringify(key)}]`
        : prefix
          ? `${prefix}.${key}`
          : key;
    return changedPaths(left[key], right[key], path);
  });
}

/** What applying `after` over `before` would add, remove and change, by URN. */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((r) => [r.urn, r]));
  const next = new Map(after.resources.map((r) => [r.urn, r]));
  const changed: ChangedResource[] = [];
  for (const [urn, r] of next) {
    const previous = old.get(urn);
    if (!previous) continue;
    const paths = changedPaths(previous.inputs, r.inputs);
    if (previous.parent !== r.parent) paths.unshift("(parent)");
    if (paths.length > 0) changed.push({ urn, type: r.type, paths });
  }
  return {
    added: after.resources.filter((r) => !old.has(r.urn)),
    removed: before.resources.filter((r) => !next.has(r.urn)),
    changed,
  };
}

/** The diff as text (or Markdown for a pull-request summary). */
export function renderDiff(diff: PlanDiff, format: "text" | "markdown" = "text"): string {
  const md = format === "markdown";
  const code = (s: string) => (md ? `\`${s}\`` : s);
  const section = (title: string, lines: string[]) =>
    lines.length === 0 ? [] : [md ? `### ${title}` : `${title}:`, ...lines, ""];
  const total = diff.added.length + diff.removed.length + diff.changed.length;
  const summary = `${diff.added.length} to add, ${diff.changed.length} to change, ${diff.removed.length} to remove`;
  if (total === 0) return md ? "No infrastructure changes." : "No changes.";
  return [
    md ? `**${summary}**\n` : `${summary}\n`,
    ...section(
      "Added",
      diff.added.map((r) => `${md ? "- " : "  + "}${code(r.type)} ${r.urn}`),
    ),
    ...section(
      "Removed",
      diff.removed.map((r) => `${md ? "- " : "  - "}${code(r.type)} ${r.urn}`),
    ),
    ...section(
      "Changed",
      diff.changed.map(
        (c) =>
          `${md ? "- " : "  ~ "}${code(c.type)} ${c.urn}\n${c.paths.map((p) => `${md ? "  - " : "      "}${code(p)}`).join("\n")}`,
      ),
    ),
  ]
    .join("\n")
    .trimEnd();
}
