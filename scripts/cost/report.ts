/** The estimate for people: a table per component, the total, what is free and what is not priced. */
import { relative } from "node:path";
import type { Estimate, TypeCount } from "./estimate.js";
import { columns, markdownTable, money, quantity, shortType, unitPrice } from "./format.js";
import type { CostLine } from "./model.js";

const lineCells = (l: CostLine) => [
  l.item,
  `${quantity(l.quantity)} ${l.unit} × ${unitPrice(l.unitPrice)}${l.assumption ? " *" : ""}`,
  money(l.monthly),
];

function heading(estimate: Estimate): string[] {
  return [
    `Monthly cost of stack "${estimate.stack}" in ${estimate.region}: ${money(estimate.monthly)}`,
    `On-demand ${estimate.prices.currency}, prices taken ${estimate.prices.taken} (${relative(process.cwd(), estimate.prices.file)}); * marks a usage assumption.`,
  ];
}

const total = (counts: readonly TypeCount[]) => counts.reduce((n, c) => n + c.count, 0);

/** One row per reason, with the types it covers and how many of each. */
function byReason(counts: readonly TypeCount[]): [string, string[]][] {
  const reasons = new Map<string, string[]>();
  for (const c of counts)
    reasons.set(c.reason, [...(reasons.get(c.reason) ?? []), `${shortType(c.type)} × ${c.count}`]);
  return [...reasons];
}

/** "reason:" then the types, wrapped at about 100 columns under it. */
function reasonBlock([reason, types]: [string, string[]]): string[] {
  const lines = [`  ${reason}:`];
  for (const type of types) {
    const last = lines.length - 1;
    if (last > 0 && lines[last]!.length + type.length < 100) lines[last] += `, ${type}`;
    else lines.push(`    ${type}`);
  }
  return lines;
}

function footer(estimate: Estimate): string[] {
  return [
    `Not priced: ${total(estimate.notPriced)} resources; add what they cost yourself.`,
    ...byReason(estimate.notPriced).flatMap(reasonBlock),
    "",
    `Free: ${total(estimate.free)} resources.`,
    ...byReason(estimate.free).flatMap(reasonBlock),
    "",
    "Usage assumptions, per resource per month (override with --assumptions FILE):",
    ...columns(
      estimate.assumptions.map((a) => [a.name, quantity(a.value), a.what]),
      [1],
    ),
    ...Object.entries(estimate.assumptionOverrides).map(
      ([name, figures]) =>
        `  ${name}: ${Object.entries(figures)
          .map(([k, v]) => `${k} = ${v}`)
          .join(", ")}`,
    ),
  ];
}

export function renderEstimate(estimate: Estimate): string {
  const sections = estimate.components.map((c) => {
    const rows = c.resources.flatMap((r) =>
      r.pricing.kind === "priced"
        ? r.pricing.lines.map((l) => [`${shortType(r.type)} ${r.name}`, ...lineCells(l)])
        : [],
    );
    return [`${c.component}: ${money(c.monthly)}`, ...columns(rows, [2, 3])].join("\n");
  });
  return [
    ...heading(estimate),
    "",
    ...sections.flatMap((s) => [s, ""]),
    `Total: ${money(estimate.monthly)} a month`,
    "",
    ...footer(estimate),
  ].join("\n");
}

export function renderEstimateMarkdown(estimate: Estimate): string {
  const [title, note] = heading(estimate);
  const lines = estimate.components.flatMap((c) =>
    c.resources.flatMap((r) =>
      r.pricing.kind === "priced"
        ? r.pricing.lines.map((l) => [c.component, `${shortType(r.type)} ${r.name}`, ...lineCells(l)])
        : [],
    ),
  );
  return [
    `### ${title}`,
    "",
    note,
    "",
    ...markdownTable(
      ["component", "monthly"],
      [
        ...estimate.components.map((c) => [c.component, money(c.monthly)]),
        ["**total**", `**${money(estimate.monthly)}**`],
      ],
      [1],
    ),
    "",
    "<details><summary>Every priced line</summary>",
    "",
    ...markdownTable(["component", "resource", "item", "quantity", "monthly"], lines, [4]),
    "",
    "</details>",
    "",
    ...markdownTable(
      ["not priced", "why"],
      byReason(estimate.notPriced).map(([reason, types]) => [types.join(", "), reason]),
    ),
  ].join("\n");
}
