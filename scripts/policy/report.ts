/**
 * The policy report: violations grouped by policy, mandatory first, each with the resources
 * it names, as text for a terminal or as Markdown for a pull request's job summary.
 */
import type { PolicyRun, Violation } from "./run.js";

interface Group {
  readonly policy: string;
  readonly description: string;
  readonly level: Violation["level"];
  readonly violations: Violation[];
}

function groups(run: PolicyRun): Group[] {
  const described = new Map(run.policies.map((p) => [p.name, p.description]));
  const byPolicy = new Map<string, Group>();
  for (const v of run.violations) {
    const key = `${v.level} ${v.policy}`;
    const group = byPolicy.get(key) ?? {
      policy: v.policy,
      description: described.get(v.policy) ?? "",
      level: v.level,
      violations: [],
    };
    group.violations.push(v);
    byPolicy.set(key, group);
  }
  return [...byPolicy.values()].sort((a, b) =>
    a.level === b.level ? a.policy.localeCompare(b.policy) : a.level === "mandatory" ? -1 : 1,
  );
}

const count = (run: PolicyRun, level: Violation["level"]) =>
  run.violations.filter((v) => v.level === level).length;

export function summaryLine(run: PolicyRun, pack: string): string {
  const active = run.policies.filter((p) => p.level !== "disabled").length;
  return (
    `${pack}: ${active} policies over stack "${run.stack}" (${run.resources} resources): ` +
    `${count(run, "mandatory")} mandatory, ${count(run, "advisory")} advisory violations`
  );
}

export function renderText(run: PolicyRun, pack: string): string {
  const lines = [summaryLine(run, pack)];
  for (const g of groups(run)) {
    lines.push("", `[${g.level}] ${g.policy}: ${g.description}`);
    for (const v of g.violations)
      lines.push(`  - ${v.message}`, `      ${v.urn ?? "(the stack as a whole)"}`);
  }
  if (run.violations.length === 0) lines.push("", "No violations.");
  return lines.join("\n");
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;");

export function renderMarkdown(run: PolicyRun, pack: string): string {
  const failed = count(run, "mandatory") > 0;
  const lines = [`### ${failed ? "❌" : "✅"} Policy report`, "", summaryLine(run, pack)];
  for (const g of groups(run)) {
    lines.push(
      "",
      `#### ${g.level === "mandatory" ? "❌" : "⚠️"} \`${g.policy}\` (${g.level})`,
      "",
      cell(g.description),
      "",
    );
    lines.push("| violation | resource |", "| --- | --- |");
    for (const v of g.violations)
      lines.push(`| ${cell(v.message)} | ${v.urn ? `\`${v.urn}\`` : "the stack"} |`);
  }
  if (run.violations.length === 0) lines.push("", "No violations.");
  return lines.join("\n");
}
