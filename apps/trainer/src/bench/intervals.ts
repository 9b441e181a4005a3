/**
 * The 95% interval of a mean over seeds, which every multi-seed benchmark (bench:al,
 * bench:ablation) reports: a few seeds, so Student's t rather than the normal.
 */

/** Student's t at 97.5% for 1..30 degrees of freedom; beyond, the normal's 1.96. */
const T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface Interval {
  mean: number;
  /** The 95% confidence interval of the mean (t distribution); equal to the mean for one value. */
  low: number;
  high: number;
}

export function meanInterval(values: readonly number[]): Interval {
  if (values.length === 0) throw new Error("an interval needs at least one value");
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: mean, high: mean };
  const sd = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1));
  const half = (T_975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean, low: mean - half, high: mean + half };
}
