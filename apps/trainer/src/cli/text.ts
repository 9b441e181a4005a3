/** What the commands print for people at a terminal. */

/** Columns padded to their widest cell, separated by two spaces. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** A date to the minute, in UTC: "2026-12-05 14:03". */
export function utcMinute(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ");
}

/** "1 galaxy", "3 galaxies". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
