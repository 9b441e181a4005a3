/**
 * HIWL label smoothing: target = clamp(target, eps/(K-1), 1-eps), eps = 0.05 as in the
 * authors' code. Applied to a one-hot vector it gives the paper's smoothed target; applied to
 * a crowd distribution ("votes" targets) it floors every class at eps/(K-1) and caps the top
 * at 1-eps, then renormalises so the target stays a distribution.
 */
export const LABEL_SMOOTHING_EPS = 0.05;

export function smoothTarget(target: readonly number[], eps = LABEL_SMOOTHING_EPS): number[] {
  const k = target.length;
  if (k < 2) throw new Error("label smoothing needs at least two classes");
  const lo = eps / (k - 1);
  const hi = 1 - eps;
  const clamped = target.map((t) => Math.min(hi, Math.max(lo, t)));
  const sum = clamped.reduce((x, y) => x + y, 0);
  return clamped.map((t) => t / sum);
}

export function oneHot(index: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => (i === index ? 1 : 0));
}
