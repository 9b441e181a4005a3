const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const formatDate = (d: Date | null | undefined) => (d ? dateTime.format(d) : "—");

/** A value known to be a fraction (accuracy, precision, ...), 0 and 1 included, as a percentage. */
export const formatPercent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** Fractions (accuracy, F1, ...) as percentages; other numbers as they are, rounded. */
export function formatMetric(value: number): string {
  if (value >= 0 && value <= 1 && !Number.isInteger(value)) return formatPercent(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** The top-level numbers of a JSON object written by the trainer, whatever its exact shape. */
export function numericEntries(obj: Record<string, unknown>): [string, number][] {
  return Object.entries(obj).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
}
