/**
 * Distributions for the synthetic galaxies, drawn from the project's seeded generator, and a
 * cheap table-driven Gaussian for the hundreds of thousands of noise samples an image needs.
 */
import { createRng, type Rng } from "@hiwl/model";

export { createRng, type Rng };

export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** Uniform in log space: sizes, fluxes and other scale parameters. */
export const logUniform = (rng: Rng, lo: number, hi: number): number => lo * Math.exp(Math.log(hi / lo) * rng());

export function gaussian(rng: Rng, mean = 0, sd = 1): number {
  const u = 1 - rng();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng(); p > limit; p *= rng()) k++;
  return k;
}

/** Index drawn from unnormalised weights. */
export function pickWeighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let x = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

export const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const TABLE_BITS = 16;
const TABLE_MASK = (1 << TABLE_BITS) - 1;

/**
 * Standard normal quantiles at evenly spaced probabilities: drawing a random entry is an
 * exact (discretised) Gaussian draw costing one integer hash instead of a log and a cosine.
 */
const NORMAL_TABLE = (() => {
  const n = 1 << TABLE_BITS;
  const table = new Float32Array(n);
  for (let i = 0; i < n; i++) table[i] = inverseNormal((i + 0.5) / n);
  return table;
})();

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628274631];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Fast standard normal deviates for pixel noise (mulberry32 state seeded from an Rng). */
export function createNoise(rng: Rng): () => number {
  let state = Math.floor(rng() * 0x100000000) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return NORMAL_TABLE[((t ^ (t >>> 14)) >>> 0) & TABLE_MASK]!;
  };
}
