/**
 * Does weighting each volunteer's answers by their estimated reliability (`labels/reliability.ts`)
 * bring the crowd's labels closer to the truth? Simulated volunteers of known skill, some of
 * them poor, classify synthetic galaxies whose ideal crowd is known; the plain and the
 * weighted vote fractions are scored against it, and the estimated reliabilities against the
 * skills the volunteers were given.
 */
import { synthetic } from "@hiwl/catalog";
import {
  HIWL_CLASSES,
  ROOT_QUESTION,
  argmaxClass,
  classDistribution,
  countAnswers,
  createRng,
  cumulativeFractions,
  estimateReliability,
  getQuestion,
  weightedVoteFractions,
  type Answer,
  type CrowdClassification,
  type GoldWalk,
  type HiwlClass,
  type QuestionId,
  type VoteVector,
} from "@hiwl/model";

export interface ReliabilitySimOptions {
  galaxies: number;
  /** Simulated volunteers; each galaxy is classified by distinct ones, drawn uniformly. */
  crowd: number;
  /** Share of the crowd that is poor: skill drawn uniformly in [0, POOR_SKILL_MAX] (0 is a random clicker). */
  poor: number;
  /**
   * Classifications per galaxy, each a row: the first K of the same max(votes) per galaxy (so
   * the list's largest number also fixes the random stream).
   */
  votes: readonly number[];
  /** Share of the galaxies whose ideal walk is given to the estimate as gold. */
  gold: number;
  seed: string;
}

/** The poor volunteers' skill is uniform in [0, 0.3]; the rest are the simulator's crowd (0.65–1). */
export const POOR_SKILL_MAX = 0.3;

export interface LabelScore {
  /** Of the galaxies whose truth has a HIWL class: how often the crowd's leading class is it. */
  accuracy: number;
  /** Mean over galaxies and the five classes of |crowd distribution − the truth's ideal distribution|. */
  mae: number;
}

export interface ReliabilityRow {
  votes: number;
  unweighted: LabelScore;
  weighted: LabelScore;
  /** Of the galaxies with a class: how many weighting turns from wrong to right, and from right to wrong. */
  fixed: number;
  broken: number;
  /** Pearson and Spearman correlation of each volunteer's estimated reliability with their skill. */
  pearson: number;
  spearman: number;
}

export interface ReliabilityOutcome {
  /** Every simulated volunteer: id, true skill and, at the largest vote count, estimated reliability. */
  volunteers: { id: string; skill: number; estimated: number }[];
  rows: ReliabilityRow[];
}

/** Same options and seed, same numbers: galaxies, crowd and answers all come from seeded generators. */
export function simulateReliability(options: ReliabilitySimOptions): ReliabilityOutcome {
  const maxVotes = Math.max(...options.votes);
  if (maxVotes > options.crowd) throw new Error(`${maxVotes} votes per galaxy need at least as many volunteers, got ${options.crowd}`);
  const poorCount = Math.round(options.poor * options.crowd);
  const crowd = Array.from({ length: options.crowd }, (_, i) => {
    const id = `${options.seed}-${i}`;
    const skill = i < poorCount ? POOR_SKILL_MAX * createRng(`poor:${id}`)() : undefined;
    return synthetic.createSimulatedVolunteer(id, skill);
  });

  const rng = createRng(`reliability:${options.seed}`);
  const galaxies = Array.from({ length: options.galaxies }, (_, g) => {
    const id = `g${g}`;
    const truth = synthetic.sampleTruth(createRng(`truth:${options.seed}-${g}`));
    const ideal = classDistribution(synthetic.expectedFractions(synthetic.truthAnswerProbabilities(truth)))!;
    // Distinct volunteers in arrival order (a partial shuffle of the crowd).
    const order = crowd.map((_, i) => i);
    const classifications: CrowdClassification[] = [];
    for (let k = 0; k < maxVotes; k++) {
      const j = k + Math.floor(rng() * (order.length - k));
      [order[k], order[j]] = [order[j]!, order[k]!];
      const volunteer = crowd[order[k]!]!;
      classifications.push({ volunteerId: volunteer.seed, galaxyId: id, answers: synthetic.answerWalk(volunteer, truth, rng) });
    }
    return { id, truth, cls: synthetic.expectedClass(truth), ideal, classifications };
  });
  const gold: GoldWalk[] = galaxies
    .slice(0, Math.round(options.gold * options.galaxies))
    .map((g) => ({ galaxyId: g.id, answers: idealWalk(g.truth) }));

  let volunteers: ReliabilityOutcome["volunteers"] = [];
  const rows = [...options.votes].map((votes): ReliabilityRow => {
    const classifications = galaxies.flatMap((g) => g.classifications.slice(0, votes));
    const estimate = estimateReliability(classifications, { gold });
    const weighted = weightedVoteFractions(classifications, estimate);
    const plain = galaxies.map((g) => {
      const { counts, total } = countAnswers(g.classifications.slice(0, votes).map((c) => c.answers));
      return cumulativeFractions(counts, total);
    });
    const estimated = new Map(estimate.volunteers.map((v) => [v.volunteerId, v.reliability]));
    const pairs = crowd
      .filter((v) => estimated.has(v.seed))
      .map((v) => ({ id: v.seed, skill: v.skill, estimated: estimated.get(v.seed)! }));
    if (votes === maxVotes) volunteers = pairs;
    const unweightedScore = score(galaxies, plain);
    const weightedScore = score(galaxies, weighted.map((w) => w.voteFractions));
    let fixed = 0;
    let broken = 0;
    galaxies.forEach((_, i) => {
      if (unweightedScore.right[i] === weightedScore.right[i]) return;
      if (weightedScore.right[i]) fixed++;
      else broken++;
    });
    return {
      votes,
      unweighted: { accuracy: unweightedScore.accuracy, mae: unweightedScore.mae },
      weighted: { accuracy: weightedScore.accuracy, mae: weightedScore.mae },
      fixed,
      broken,
      pearson: pearson(pairs.map((p) => p.skill), pairs.map((p) => p.estimated)),
      spearman: pearson(ranks(pairs.map((p) => p.skill)), ranks(pairs.map((p) => p.estimated))),
    };
  });
  return { volunteers, rows };
}

/** An expert's walk: the ideal volunteer's most likely answer to each question on the way. */
function idealWalk(truth: synthetic.GalaxyTruth): string[] {
  const probabilities = synthetic.truthAnswerProbabilities(truth);
  const walk: string[] = [];
  let current: QuestionId | null = ROOT_QUESTION;
  while (current !== null) {
    const p = probabilities[current];
    const best: Answer = getQuestion(current).answers.reduce((a, b) => (p[b.id]! > p[a.id]! ? b : a));
    walk.push(best.id);
    current = best.next;
  }
  return walk;
}

const UNIFORM = Object.fromEntries(HIWL_CLASSES.map((c) => [c, 1 / HIWL_CLASSES.length])) as Record<HiwlClass, number>;

/** A galaxy whose crowd said only star or artifact has no distribution: it scores as uniform, and as wrong. */
function score(
  galaxies: readonly { cls: HiwlClass | null; ideal: Record<HiwlClass, number> }[],
  fractions: readonly VoteVector[],
): LabelScore & { right: boolean[] } {
  let labelled = 0;
  let correct = 0;
  let error = 0;
  const right = galaxies.map((g, i) => {
    const crowd = classDistribution(fractions[i]!);
    const dist = crowd ?? UNIFORM;
    for (const c of HIWL_CLASSES) error += Math.abs(dist[c] - g.ideal[c]);
    if (g.cls === null) return false;
    labelled++;
    const ok = crowd !== null && argmaxClass(crowd) === g.cls;
    if (ok) correct++;
    return ok;
  });
  return { accuracy: labelled ? correct / labelled : 0, mae: error / (galaxies.length * HIWL_CLASSES.length), right };
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

/** Ranks from 1, ties sharing their mean rank. */
function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}
