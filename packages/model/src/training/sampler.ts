/**
 * Epoch orders for training. HIWL balances classes by weighted sampling (applied to level 2,
 * where cigar is the minority): each sample weighs 1/N_class, and an epoch draws as many
 * samples as the dataset holds, with replacement, like PyTorch's WeightedRandomSampler.
 * Everything is driven by a seeded Rng so that a seed replays a run.
 */
import type { Rng } from "../random.ts";

/** 1 / (number of samples sharing the label), so every class carries the same total weight. */
export function classBalancedWeights<K>(labels: readonly K[]): number[] {
  const counts = new Map<K, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return labels.map((label) => 1 / counts.get(label)!);
}

/** `count` indices drawn with replacement, each with probability proportional to its weight. */
export function sampleWithReplacement(weights: readonly number[], count: number, rng: Rng): number[] {
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) {
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`sampling weights must be finite and >= 0, got ${w}`);
    total += w;
    cumulative.push(total);
  }
  if (total <= 0) throw new Error("sampling needs a positive total weight");
  return Array.from({ length: count }, () => {
    const u = rng() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  });
}

/** A class-balanced epoch: as many draws as labels, with replacement. */
export function weightedEpoch<K>(labels: readonly K[], rng: Rng): number[] {
  return sampleWithReplacement(classBalancedWeights(labels), labels.length, rng);
}

/** An unweighted epoch: a Fisher-Yates permutation of 0..n-1. */
export function shuffledEpoch(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
