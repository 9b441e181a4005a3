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
import { createRng } from "../random.ts";

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

/**
 * The expected calibration error a perfectly calibrated model would still measure on these
 * bins: each galaxy right with exactly its bin's mean confidence, drawn `draws` times. On a
 * few hundred galaxies the binomial noise alone gives a few percent, which is the floor any
 * measured figure sits on. Returns the mean over draws and the value 95% of draws stay below.
 */
export function calibrationErrorFloor(bins: readonly ReliabilityBin[], draws = 1000, seed = "calibration-floor"): { mean: number; p95: number } {
  const total = bins.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return { mean: 0, p95: 0 };
  const rng = createRng(seed);
  const eces = Array.from({ length: draws }, () => {
    let ece = 0;
    for (const bin of bins) {
      let right = 0;
      for (let g = 0; g < bin.count; g++) if (rng() < bin.confidence) right++;
      if (bin.count > 0) ece += (bin.count / total) * Math.abs(right / bin.count - bin.confidence);
    }
    return ece;
  }).sort((a, b) => a - b);
  return { mean: eces.reduce((a, b) => a + b, 0) / draws, p95: eces[Math.min(draws - 1, Math.floor(0.95 * draws))]! };
}

/** One line for logs and benchmark output. */
export function formatCalibration(c: { temperature: number; eceBefore: number; eceAfter: number; bins: readonly ReliabilityBin[] }): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const floor = calibrationErrorFloor(c.bins);
  return (
    `calibration: temperature ${c.temperature.toFixed(3)} (fitted on the validation galaxies); expected calibration error on the test galaxies ${pct(c.eceBefore)} -> ${pct(c.eceAfter)}` +
    ` (a perfectly calibrated model would measure ${pct(floor.mean)} on these galaxies, under ${pct(floor.p95)} in 95% of draws)`
  );
}

/**
 * How sure a prediction is, in words, for volunteers: the word follows the calibrated
 * probability, which is what a calibrated model's confidence means ("very likely": right about
 * 8 or 9 times in 10). Each word's lower bound is its entry's `from`.
 */
export const CONFIDENCE_WORDS = [
  { from: 0.95, words: "almost certainly" },
  { from: 0.8, words: "very likely" },
  { from: 0.6, words: "probably" },
  { from: 0, words: "perhaps" },
] as const;

export type ConfidenceWords = (typeof CONFIDENCE_WORDS)[number]["words"];

export function confidenceWords(confidence: number): ConfidenceWords {
  return CONFIDENCE_WORDS.find((w) => confidence >= w.from)!.words;
}

/** Fewer test galaxies than this in a reliability bin say too little about it to quote. */
export const MIN_QUOTED_BIN = 10;

/**
 * What a confidence has meant on the model's test galaxies: the reliability bin it falls in,
 * when at least MIN_QUOTED_BIN test galaxies fell there; null otherwise.
 */
export function measuredAccuracy(
  confidence: number,
  bins: readonly ReliabilityBin[],
): { lower: number; upper: number; accuracy: number; galaxies: number } | null {
  const bin = bins.find((b, i) => confidence >= b.lower && (confidence < b.upper || i === bins.length - 1));
  if (!bin || bin.count < MIN_QUOTED_BIN) return null;
  return { lower: bin.lower, upper: bin.upper, accuracy: bin.accuracy, galaxies: bin.count };
}
