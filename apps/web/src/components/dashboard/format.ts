const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const formatDate = (d: Date | null | undefined) => (d ? dateTime.format(d) : "—");

/** Fractions (accuracy, F1, ...) as percentages; other numbers as they are, rounded. */
export function formatMetric(value: number): string {
  if (value >= 0 && value <= 1 && !Number.isInteger(value)) return `${(value * 100).toFixed(1)}%`;
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** The top-level numbers of a JSON object written by the trainer, whatever its exact shape. */
export function numericEntries(obj: Record<string, unknown>): [string, number][] {
  return Object.entries(obj).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
}
