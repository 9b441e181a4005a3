/**
 * Calibration: predicted probabilities that mean what they say. Networks trained with
 * cross-entropy are usually overconfident; temperature scaling (Guo et al. 2017) divides the
 * logits by one number T fitted on held-out galaxies, which softens (T > 1) or sharpens
 * (T < 1) every prediction and never changes which class is most probable. The network's
 * output is a softmax (or, for the hierarchical model, products of softmaxes), so with
 * log p as the logits the calibrated probabilities are p^(1/T), renormalised.
 *
 * The expected calibration error (ECE) is the gap between confidence and accuracy: the
 * galaxies are binned by the probability of their decided class, and the bins' |accuracy -
 * mean confidence| are averaged, weighted by their sizes. Its bins are the reliability
 * diagram.
 */
import { argmax } from "../labels/class-sets.ts";

/** p^(1/T), renormalised: the same decided class, softer (T > 1) or sharper (T < 1). */
export function calibrate(probabilities: readonly number[], temperature: number): number[] {
  if (temperature === 1) return [...probabilities];
  // In logs relative to the largest, so that 1/T powers of small probabilities do not underflow first.
  const logs = probabilities.map((p) => (p > 0 ? Math.log(p) / temperature : -Infinity));
  const top = Math.max(...logs);
  const scaled = logs.map((l) => Math.exp(l - top));
  const sum = scaled.reduce((a, b) => a + b, 0);
  return scaled.map((s) => s / sum);
}

/** Mean negative log-likelihood of the true classes under temperature T. */
function meanNll(probabilities: readonly (readonly number[])[], truth: readonly number[], temperature: number): number {
  let sum = 0;
  probabilities.forEach((p, i) => {
    sum -= Math.log(Math.max(calibrate(p, temperature)[truth[i]!]!, 1e-12));
  });
  return sum / probabilities.length;
}

/** The bounds of the temperature search: far beyond any network's miscalibration. */
export const TEMPERATURE_RANGE = [0.05, 20] as const;

/**
 * The temperature that minimises the negative log-likelihood of the true classes: a golden-
 * section search over log T (the likelihood is unimodal in T). 1 for an empty set.
 */
export function fitTemperature(probabilities: readonly (readonly number[])[], truth: readonly number[]): number {
  if (probabilities.length !== truth.length) {
    throw new Error(`fitTemperature: ${probabilities.length} predictions but ${truth.length} true classes`);
  }
  if (probabilities.length === 0) return 1;
  const phi = (Math.sqrt(5) - 1) / 2;
  let [lo, hi] = TEMPERATURE_RANGE.map(Math.log) as [number, number];
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = meanNll(probabilities, truth, Math.exp(a));
  let fb = meanNll(probabilities, truth, Math.exp(b));
  while (hi - lo > 1e-4) {
    if (fa <= fb) {
      [hi, b, fb] = [b, a, fa];
      a = hi - phi * (hi - lo);
      fa = meanNll(probabilities, truth, Math.exp(a));
    } else {
      [lo, a, fa] = [a, b, fb];
      b = lo + phi * (hi - lo);
      fb = meanNll(probabilities, truth, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

export interface ReliabilityBin {
  /** Confidences in [lower, upper) (the last bin includes 1). */
  lower: number;
  upper: number;
  count: number;
  /** Mean probability of the decided class, and the share of those decisions that were right (0 when empty). */
  confidence: number;
  accuracy: number;
}

export interface CalibrationReport {
  /** Expected calibration error, 0..1. */
  ece: number;
  bins: ReliabilityBin[];
}

/** The expected calibration error over `binCount` equal-width confidence bins, and the bins. */
export function calibrationError(
  probabilities: readonly (readonly number[])[],
  truth: readonly number[],
  binCount = 15,
): CalibrationReport {
  if (probabilities.length !== truth.length) {
    throw new Error(`calibrationError: ${probabilities.length} predictions but ${truth.length} true classes`);
  }
  const bins: ReliabilityBin[] = Array.from({ length: binCount }, (_, k) => ({
    lower: k / binCount,
    upper: (k + 1) / binCount,
    count: 0,
    confidence: 0,
    accuracy: 0,
  }));
  probabilities.forEach((p, i) => {
    const decided = argmax(p);
    const confidence = p[decided]!;
    const bin = bins[Math.min(binCount - 1, Math.floor(confidence * binCount))]!;
    bin.count++;
    bin.confidence += confidence;
    bin.accuracy += decided === truth[i] ? 1 : 0;
  });
  let ece = 0;
  for (const bin of bins) {
    if (bin.count === 0) continue;
    bin.confidence = Math.min(1, bin.confidence / bin.count);
    bin.accuracy /= bin.count;
    ece += (bin.count / probabilities.length) * Math.abs(bin.accuracy - bin.confidence);
  }
  return { ece, bins };
}

/** One line for logs and benchmark output. */
export function formatCalibration(c: { temperature: number; eceBefore: number; eceAfter: number }): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return `calibration: temperature ${c.temperature.toFixed(3)} (fitted on the validation galaxies); expected calibration error on the test galaxies ${pct(c.eceBefore)} -> ${pct(c.eceAfter)}`;
}
