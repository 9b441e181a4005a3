/**
 * Acquisition functions: how much a galaxy's next classifications are expected to teach the
 * model. Higher scores are served first. Inputs are the model's 5-class probabilities; BALD
 * needs T stochastic forward passes (MC dropout / drop-connect left on at inference).
 */
import type { Rng } from "../random.ts";

export const ACQUISITION_FUNCTIONS = ["random", "entropy", "margin", "bald"] as const;
export type AcquisitionFunction = (typeof ACQUISITION_FUNCTIONS)[number];

/** Shannon entropy in nats; 0·log 0 = 0. */
export function entropy(p: readonly number[]): number {
  return p.reduce((s, x) => (x > 0 ? s - x * Math.log(x) : s), 0);
}

/** 1 - (top probability - runner-up): 1 when the two leading classes tie, 0 when certain. */
export function margin(p: readonly number[]): number {
  const [a = 0, b = 0] = [...p].sort((x, y) => y - x);
  return 1 - (a - b);
}

/**
 * BALD (Houlsby et al. 2011), the mutual information between the prediction and the model
 * parameters: entropy of the mean prediction minus the mean entropy of the passes. High when
 * the passes disagree with each other, not merely when each is unsure.
 */
export function bald(passes: readonly (readonly number[])[]): number {
  if (passes.length === 0) throw new Error("BALD needs at least one stochastic pass");
  const k = passes[0]!.length;
  const mean = Array.from({ length: k }, (_, c) => passes.reduce((s, p) => s + p[c]!, 0) / passes.length);
  const expected = passes.reduce((s, p) => s + entropy(p), 0) / passes.length;
  return Math.max(0, entropy(mean) - expected);
}

/** Mean of the stochastic passes: the prediction to store and show. */
export function meanPrediction(passes: readonly (readonly number[])[]): number[] {
  const k = passes[0]!.length;
  return Array.from({ length: k }, (_, c) => passes.reduce((s, p) => s + p[c]!, 0) / passes.length);
}

/**
 * Acquisition score of one galaxy. `passes` holds T >= 1 probability vectors; only BALD uses
 * more than their mean.
 */
export function acquisitionScore(fn: AcquisitionFunction, passes: readonly (readonly number[])[], rng: Rng): number {
  switch (fn) {
    case "random":
      return rng();
    case "entropy":
      return entropy(meanPrediction(passes));
    case "margin":
      return margin(meanPrediction(passes));
    case "bald":
      return bald(passes);
  }
}

/**
 * Queue priority from an acquisition score, with a little noise (a fraction `jitter` of the
 * spread of scores) so that galaxies with near-equal scores do not always come in the same
 * order and the top of the queue is not always identical.
 */
export function priorities(scores: readonly number[], rng: Rng, jitter = 0.02): number[] {
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const spread = hi > lo ? hi - lo : 1;
  return scores.map((s) => s + jitter * spread * rng());
}
