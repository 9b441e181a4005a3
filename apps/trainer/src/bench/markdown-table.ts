/** The benchmark reports' tables, printed as Markdown so that they paste into docs/benchmarks.md. */

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** A share as a table cell: 0.7345 -> "73.5%". */
export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
