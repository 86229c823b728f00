import type { Plan, PlannedResource } from "./plan-types.js";

/** The plan as an indented tree, children under their parent, as `pulumi preview` shows it. */
export function renderTree(plan: Plan): string {
  const children = new Map<string | null, PlannedResource[]>();
  for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const lines: string[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${"  ".repeat(depth)}+ ${r.type}  ${r.name}`);
      walk(r.urn, depth + 1);
    }
  };
  walk(null, 0);
  return lines.join("\n");
}

/** How many resources of each type, most numerous first. */
export function countByType(plan: Plan): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function renderCounts(plan: Plan): string {
  const rows = countByType(plan);
  const width = Math.max(...rows.map(([type]) => type.length));
  const custom = plan.resources.filter((r) => r.custom).length;
  return [
    ...rows.map(([type, n]) => `${type.padEnd(width)}  ${String(n).padStart(4)}`),
    `${plan.resources.length} resources: ${custom} cloud resources, ${plan.resources.length - custom} components`,
  ].join("\n");
}
