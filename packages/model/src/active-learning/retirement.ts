/**
 * When a galaxy has enough classifications. Zooniverse retires a subject after a fixed count
 * (15 by default); Galaxy Zoo also stops early when the answer is already clear, and gives
 * the galaxies the model learns most from more votes (about 40 in production).
 */
import { argmaxClass, classDistribution, type HiwlClass } from "../labels/classes.ts";

export interface RetirementRules {
  /** Retire after this many classifications. */
  readonly count: number;
  /** Informative galaxies (acquisition score at or above `informativeScore`) retire after this many instead. */
  readonly informativeCount: number;
  readonly informativeScore: number;
  /** Early retirement when volunteers agree: at least `consensusMinVotes` and one class with at least this share. */
  readonly consensusShare: number;
  readonly consensusMinVotes: number;
  /** Early retirement when the model is at least this confident and agrees with the volunteers' leading class. */
  readonly modelConfidence: number;
  readonly modelMinVotes: number;
}

export const DEFAULT_RETIREMENT: RetirementRules = {
  count: 15,
  informativeCount: 40,
  informativeScore: Number.POSITIVE_INFINITY,
  // `npm run bench:retirement`: with simulated volunteers, a 70% share after 5 votes spends 42%
  // fewer votes than a count of 15 for crowd labels right 93.5% of the time instead of 95.2%;
  // 90% saved only 14%.
  consensusShare: 0.7,
  consensusMinVotes: 5,
  modelConfidence: 0.8,
  modelMinVotes: 3,
};

export const RETIREMENT_REASONS = ["count", "consensus", "model-confident"] as const;
export type RetirementReason = (typeof RETIREMENT_REASONS)[number];

export interface RetirementInput {
  readonly classifications: number;
  /** The galaxy's 37 cumulative vote fractions from its classifications. */
  readonly voteFractions: readonly number[];
  /** The active model's 5-class probabilities, if it scored the galaxy. */
  readonly prediction?: Readonly<Record<HiwlClass, number>> | null;
  readonly acquisition?: number | null;
}

/** The reason to retire the galaxy now, or null to keep serving it. */
export function retirementReason(input: RetirementInput, rules: RetirementRules = DEFAULT_RETIREMENT): RetirementReason | null {
  const informative = (input.acquisition ?? Number.NEGATIVE_INFINITY) >= rules.informativeScore;
  if (input.classifications >= (informative ? rules.informativeCount : rules.count)) return "count";
  if (informative) return null;
  const crowd = classDistribution(input.voteFractions);
  if (!crowd) return null;
  const crowdClass = argmaxClass(crowd);
  if (input.classifications >= rules.consensusMinVotes && crowd[crowdClass] >= rules.consensusShare) return "consensus";
  const p = input.prediction;
  if (p && input.classifications >= rules.modelMinVotes) {
    const modelClass = argmaxClass(p);
    if (modelClass === crowdClass && p[modelClass] >= rules.modelConfidence) return "model-confident";
  }
  return null;
}
