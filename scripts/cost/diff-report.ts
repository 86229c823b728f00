/** The cost diff for people: the change in the monthly total and each resource that moves it. */
import type { CostChange, CostDiff } from "./diff.js";
import { columns, markdownTable, money, shortType, signed } from "./format.js";

const was = (value: number | undefined) => (value === undefined ? "(new)" : money(value));
const becomes = (value: number | undefined) => (value === undefined ? "(removed)" : money(value));
function percent(diff: CostDiff): string {
  if (diff.before.monthly <= 0) return "";
  const share = (diff.delta / diff.before.monthly) * 100;
  return ` (${share >= 0 ? "+" : ""}${share.toFixed(1)}%)`;
}

function summary(diff: CostDiff): string {
  const { before, after } = diff;
  const where = `stack "${after.stack}" in ${after.region}`;
  if (diff.changes.length === 0) return `No change in the monthly cost of ${where}: ${money(after.monthly)}.`;
  return `Monthly cost of ${where}: ${money(before.monthly)} → ${money(after.monthly)}, ${signed(diff.delta)}${percent(diff)}.`;
}

const changeCells = (c: CostChange) => [
  `${shortType(c.type)} ${c.name}`,
  c.component,
  was(c.before),
  becomes(c.after),
  signed(c.delta),
];

const unpriced = (diff: CostDiff) =>
  diff.unpricedAdded.map((r) => [
    `${shortType(r.type)} ${r.name}`,
    r.pricing.kind === "notPriced" ? r.pricing.reason : "",
  ]);

export function renderCostDiff(diff: CostDiff): string {
  const lines = [summary(diff)];
  if (diff.changes.length > 0) lines.push("", ...columns(diff.changes.map(changeCells), [2, 3, 4]));
  if (diff.unpricedAdded.length > 0)
    lines.push("", "New and not priced (their cost is not in the change above):", ...columns(unpriced(diff)));
  return lines.join("\n");
}

export function renderCostDiffMarkdown(diff: CostDiff): string {
  const lines = [`**${summary(diff)}**`];
  if (diff.changes.length > 0)
    lines.push(
      "",
      ...markdownTable(
        ["resource", "component", "before", "after", "change"],
        diff.changes.map(changeCells),
        [2, 3, 4],
      ),
    );
  if (diff.unpricedAdded.length > 0)
    lines.push(
      "",
      "New and not priced (their cost is not in the change above):",
      "",
      ...markdownTable(["resource", "why"], unpriced(diff)),
    );
  return lines.join("\n");
}
