/** Money, numbers and aligned text tables for the cost reports. */

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export const money = (amount: number) => dollars.format(Math.abs(amount) < 0.005 ? 0 : amount);

export const signed = (amount: number) => (amount >= 0.005 ? `+${money(amount)}` : money(amount));

export const quantity = (value: number) => plain.format(value);

/** A unit price with the precision it was listed with (up to 5 decimals), e.g. $0.2247. */
export const unitPrice = (value: number) =>
  `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 5 })}`;

/**
 * A type token without its redundant parts: `aws:eks/nodeGroup:NodeGroup` → `eks/nodeGroup`,
 * `kafka:index/topic:Topic` → `kafka:index/topic`, `kubernetes:core/v1:Secret` unchanged.
 */
export function shortType(type: string): string {
  const [pkg, module, name] = type.split(":");
  if (!module || !name) return type;
  const base = module.split("/").pop()?.toLowerCase() === name.toLowerCase() ? module : `${module}:${name}`;
  return pkg === "aws" ? base : `${pkg}:${base}`;
}

/** Rows of cells as aligned columns; `right` lists the columns aligned to the right. */
export function columns(
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
  indent = "  ",
): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
  );
}

/** A Markdown table; `right` lists the columns aligned to the right. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
) {
  const escaped = (cell: string) => cell.replace(/\|/g, "\\|");
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (right.includes(i) ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escaped).join(" | ")} |`),
  ];
}
