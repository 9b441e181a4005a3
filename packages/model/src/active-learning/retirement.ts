/**
 * When a galaxy has enough classifications. Zooniverse retires a subject after a fixed count
 * (15 by default); Galaxy Zoo also stops early when the answer is already clear, and gives
 * the galaxies the model learns most from more votes (about 40 in production).
 */
import { argmaxClass, classDistribution, HIWL_CLASSES, type HiwlClass } from "../labels/classes.ts";

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
  return reasonOf(input.classifications, classDistribution(input.voteFractions), input.prediction ?? null, isInformative(input, rules), rules);
}

function isInformative(input: RetirementInput, rules: RetirementRules): boolean {
  return (input.acquisition ?? Number.NEGATIVE_INFINITY) >= rules.informativeScore;
}

/** The rules on the volunteers' 5-class distribution: what retirementReason and expectedVotesToRetire share. */
function reasonOf(
  classifications: number,
  crowd: Readonly<Record<HiwlClass, number>> | null,
  p: Readonly<Record<HiwlClass, number>> | null,
  informative: boolean,
  rules: RetirementRules,
): RetirementReason | null {
  if (classifications >= (informative ? rules.informativeCount : rules.count)) return "count";
  if (informative || !crowd) return null;
  const crowdClass = argmaxClass(crowd);
  if (classifications >= rules.consensusMinVotes && crowd[crowdClass] >= rules.consensusShare) return "consensus";
  if (p && classifications >= rules.modelMinVotes) {
    const modelClass = argmaxClass(p);
    if (modelClass === crowdClass && p[modelClass] >= rules.modelConfidence) return "model-confident";
  }
  return null;
}

const UNKNOWN = 2;
/** Per rules and prediction shape, whether the rules retire at (a, b, t): 0 no, 1 yes, UNKNOWN not yet worked out. */
const retireMemos = new WeakMap<RetirementRules, Map<number, Uint8Array>>();
function retireMemo(rules: RetirementRules, shape: number, size: number): Uint8Array {
  let shapes = retireMemos.get(rules);
  if (!shapes) retireMemos.set(rules, (shapes = new Map<number, Uint8Array>()));
  let memo = shapes.get(shape);
  if (!memo) shapes.set(shape, (memo = new Uint8Array(size).fill(UNKNOWN)));
  return memo;
}

/**
 * How many more classifications the galaxy is expected to take before the rules retire it, if
 * each next vote goes to a class with the probability the model gives it: a model trained on
 * the crowd's vote fractions predicts how the crowd splits. The votes are followed as three
 * counts (the model's leading class, its runner-up, the other three together, which the rules
 * see as an even split, so never as a consensus) and their distribution is carried forward
 * exactly, vote by vote. 0 for a galaxy the rules retire now; without a prediction, the votes
 * left to the count.
 *
 * It is the cost side of a queue order: contested galaxies, which uncertainty-based acquisition
 * prefers, are the ones that take the full count (`npm run bench:al`: margin order labelled
 * 645-673 galaxies with 6,000 classifications where random order under the same rules labelled
 * 823-883).
 */
export function expectedVotesToRetire(input: RetirementInput, rules: RetirementRules = DEFAULT_RETIREMENT): number {
  const p = input.prediction ?? null;
  if (retirementReason(input, rules) !== null) return 0;
  if (isInformative(input, rules)) return rules.informativeCount - input.classifications;
  if (!p) return rules.count - input.classifications;
  const [lead, second, ...others] = [...HIWL_CLASSES].sort((x, y) => p[y] - p[x]);
  // Whether the rules retire at (a, b, t) depends on p only through its leading two classes and
  // whether the lead reaches the model-confidence threshold: memoised on those, across galaxies.
  const n = rules.count + 1;
  const shape = (HIWL_CLASSES.indexOf(lead!) * 5 + HIWL_CLASSES.indexOf(second!)) * 2 + (p[lead!] >= rules.modelConfidence ? 1 : 0);
  const memo = retireMemo(rules, shape, n ** 3);
  const retires = (a: number, b: number, t: number) => {
    const key = (a * n + b) * n + t;
    if (memo[key] === UNKNOWN) {
      const rest = (t - a - b) / others.length / t;
      const crowd = Object.fromEntries(others.map((c) => [c, rest])) as Record<HiwlClass, number>;
      memo[key] = reasonOf(t, { ...crowd, [lead!]: a / t, [second!]: b / t }, p, false, rules) === null ? 0 : 1;
    }
    return memo[key] === 1;
  };
  // The votes so far, as counts in the same three groups.
  const now = classDistribution(input.voteFractions);
  const n0 = input.classifications;
  const a0 = now ? Math.round(now[lead!] * n0) : 0;
  const b0 = now ? Math.min(n0 - a0, Math.round(now[second!] * n0)) : 0;
  const q = [p[lead!], p[second!], Math.max(0, 1 - p[lead!] - p[second!])] as const;
  // alive[a * n + b]: probability that the galaxy is still unretired after t votes with a for the lead, b for the runner-up.
  let alive = new Float64Array(n * n);
  alive[a0 * n + b0] = 1;
  let expected = 0;
  for (let t = n0; t < rules.count; t++) {
    const next = new Float64Array(n * n);
    for (let a = 0; a <= t; a++) {
      for (let b = 0; a + b <= t; b++) {
        const mass = alive[a * n + b]!;
        if (mass === 0) continue;
        expected += mass;
        const add = (a1: number, b1: number, share: number) => {
          if (share > 0 && !retires(a1, b1, t + 1)) next[a1 * n + b1] = next[a1 * n + b1]! + mass * share;
        };
        add(a + 1, b, q[0]);
        add(a, b + 1, q[1]);
        add(a, b, q[2]);
      }
    }
    alive = next;
  }
  return expected;
}
