/**
 * How far each volunteer can be trusted, question by question, and the vote fractions with
 * every answer weighted by it.
 *
 * The model is a one-coin Dawid–Skene (Dawid & Skene 1979) per question: each question q of a
 * galaxy has one true answer; volunteer v gives it with probability r_vq (their reliability on
 * q) and otherwise one of the other K_q − 1 answers at random. Under that model an answer is
 * evidence worth the log-likelihood ratio
 *
 *   w_vq = ln(r_vq / (1 − r_vq)) + ln(K_q − 1)          (clamped at 0: no worse than chance)
 *
 * and the posterior of the true answer a from a set of votes is ∝ exp(Σ w over the votes for a).
 * The estimate alternates, a fixed number of times (EM):
 *
 * 1. E-step: for each answer a volunteer gave, the probability that it is the true one: 1 or 0
 *    where a gold answer is known for that galaxy and question, otherwise the posterior of
 *    that answer from the *other* volunteers' weighted votes (leave-one-out, so nobody agrees
 *    with themselves; an answer nobody else weighed in on tells nothing and is skipped).
 * 2. M-step: r_vq = (agreements + s·m_q) / (answers + s): the volunteer's expected agreement,
 *    smoothed by a Beta prior of strength s (default 4, i.e. Beta(2, 2) around 0.5) centred
 *    on m_q, the whole crowd's pooled agreement on q, so a volunteer with few answers stays
 *    near the crowd and a question's natural difficulty (Q8, Q11 are rarely unanimous) is not
 *    held against anyone.
 *
 * It starts from equal weights (the plain majority). The weighted fractions then count each
 * answer with its w_vq (`countAnswers` with a weight) and read the tree one question at a time
 * (`chainedFractions`): with equal weights they are the usual Kaggle fractions. Pure and
 * deterministic: same classifications in the same order, same numbers.
 */
import { QUESTIONS, getQuestion, questionOf, validateWalk, type QuestionId } from "../tree/decision-tree.ts";
import { chainedFractions, countAnswers } from "../tree/vote-fractions.ts";

/** One volunteer's walk of the tree for one galaxy, as stored. */
export interface CrowdClassification {
  readonly volunteerId: string;
  readonly galaxyId: string;
  /** Answer ids from Q1 to an end of the tree ("1.2", "2.2", ...). */
  readonly answers: readonly string[];
}

/** A galaxy whose true answers are known (an expert's walk): they replace the consensus there. */
export interface GoldWalk {
  readonly galaxyId: string;
  readonly answers: readonly string[];
}

export interface ReliabilityOptions {
  /** EM rounds (default 10; it settles within a few). */
  iterations?: number;
  /** Strength s of the Beta prior, in pseudo-answers (default 4: Beta(2, 2) around 0.5). */
  priorStrength?: number;
  /** Known answers for some galaxies. */
  gold?: readonly GoldWalk[];
}

/** One volunteer on one question. */
export interface QuestionReliability {
  /** Answers the volunteer gave to the question. */
  readonly answers: number;
  /** Of them, on galaxies with a gold answer to the question: how many, and how many matched it. */
  readonly goldAnswers: number;
  readonly goldAgreement: number;
  /**
   * Of the others, those that someone else weighed in on: how many, and their summed
   * probability of being the true answer given the other volunteers' weighted votes.
   */
  readonly consensusAnswers: number;
  readonly consensusAgreement: number;
  /** r_vq, smoothed toward the crowd's mean on the question. */
  readonly reliability: number;
  /** w_vq, the weight of the volunteer's answers to the question in the weighted fractions. */
  readonly weight: number;
}

export interface VolunteerReliability {
  readonly volunteerId: string;
  readonly classifications: number;
  /** Every question the volunteer answered. */
  readonly questions: Partial<Record<QuestionId, QuestionReliability>>;
  /** One skill estimate: the mean of r_vq over the volunteer's answers (questions weighted by how often they answered them). */
  readonly reliability: number;
}

export interface ReliabilityEstimate {
  /** In order of each volunteer's first classification. */
  readonly volunteers: readonly VolunteerReliability[];
  /**
   * m_q, the crowd's pooled agreement on each question (the prior mean), for the questions
   * anyone answered with someone else or gold to compare with.
   */
  readonly questionMeans: Partial<Record<QuestionId, number>>;
  readonly iterations: number;
  readonly priorStrength: number;
}

export const DEFAULT_RELIABILITY_ITERATIONS = 10;
export const DEFAULT_RELIABILITY_PRIOR = 4;

const QUESTION_INDEX = new Map(QUESTIONS.map((q, i) => [q.id, i]));
const ANSWER_INDEX = new Map(QUESTIONS.flatMap((q) => q.answers.map((a, k) => [a.id, k] as const)));
const NQ = QUESTIONS.length;

/** r is capped here so that a perfect record weighs a finite ln(999) + ln(K − 1). */
const MAX_RELIABILITY = 0.999;

/**
 * w = ln(r / (1 − r)) + ln(K − 1) for a question of K answers, clamped at 0 (a volunteer at or
 * below chance, r ≤ 1/K, counts for nothing) and with r capped at 0.999.
 */
export function reliabilityWeight(reliability: number, answerCount: number): number {
  const r = Math.min(reliability, MAX_RELIABILITY);
  if (!(r > 0)) return 0;
  return Math.max(0, Math.log(r / (1 - r)) + Math.log(answerCount - 1));
}

/** Estimates every volunteer's reliability on every question they answered (see the file's comment). */
export function estimateReliability(
  classifications: readonly CrowdClassification[],
  options: ReliabilityOptions = {},
): ReliabilityEstimate {
  const iterations = options.iterations ?? DEFAULT_RELIABILITY_ITERATIONS;
  const s = options.priorStrength ?? DEFAULT_RELIABILITY_PRIOR;
  if (!(s > 0)) throw new Error(`priorStrength must be positive, got ${s}`);

  // Volunteers and galaxies as indices, in order of first appearance.
  const volunteerIds: string[] = [];
  const volunteerIndex = new Map<string, number>();
  const classificationsOf: number[] = [];
  const galaxyIndex = new Map<string, number>();
  const indexOf = <K>(map: Map<K, number>, key: K, onNew?: () => void): number => {
    let i = map.get(key);
    if (i === undefined) {
      i = map.size;
      map.set(key, i);
      onNew?.();
    }
    return i;
  };

  // One row per answer given: its volunteer, question, answer within the question, and its
  // cell (galaxy x question) whose weighted answer sums the E-step reads.
  const voteVolunteer: number[] = [];
  const voteQuestion: number[] = [];
  const voteAnswer: number[] = [];
  const voteCell: number[] = [];
  const cellIndex = new Map<number, number>();
  const cellOffset: number[] = [];
  const cellQuestion: number[] = [];
  let cellSlots = 0;
  const cellOf = (galaxy: number, question: number): number =>
    indexOf(cellIndex, galaxy * NQ + question, () => {
      cellOffset.push(cellSlots);
      cellQuestion.push(question);
      cellSlots += QUESTIONS[question]!.answers.length;
    });

  for (const c of classifications) {
    const valid = validateWalk(c.answers);
    if (!valid.ok) throw new Error(`classification of galaxy ${c.galaxyId} by ${c.volunteerId}: ${valid.error}`);
    const v = indexOf(volunteerIndex, c.volunteerId, () => {
      volunteerIds.push(c.volunteerId);
      classificationsOf.push(0);
    });
    classificationsOf[v]!++;
    const g = indexOf(galaxyIndex, c.galaxyId);
    for (const id of c.answers) {
      const q = QUESTION_INDEX.get(questionOf(id))!;
      voteVolunteer.push(v);
      voteQuestion.push(q);
      voteAnswer.push(ANSWER_INDEX.get(id)!);
      voteCell.push(cellOf(g, q));
    }
  }

  // Gold answers of the cells that have votes: the answer's index, or -1.
  const cellGold = new Int32Array(cellOffset.length).fill(-1);
  for (const walk of options.gold ?? []) {
    const g = galaxyIndex.get(walk.galaxyId);
    if (g === undefined) continue;
    for (const id of walk.answers) {
      const cell = cellIndex.get(g * NQ + QUESTION_INDEX.get(questionOf(id))!);
      if (cell !== undefined) cellGold[cell] = ANSWER_INDEX.get(id)!;
    }
  }

  const nv = volunteerIds.length;
  const weight = new Float64Array(nv * NQ).fill(1);
  const reliability = new Float64Array(nv * NQ);
  const answers = new Float64Array(nv * NQ);
  const goldAnswers = new Float64Array(nv * NQ);
  const goldAgreement = new Float64Array(nv * NQ);
  const consensusAnswers = new Float64Array(nv * NQ);
  const consensusAgreement = new Float64Array(nv * NQ);
  for (let i = 0; i < voteVolunteer.length; i++) answers[voteVolunteer[i]! * NQ + voteQuestion[i]!]!++;
  const means = new Float64Array(NQ).fill(Number.NaN);
  const sums = new Float64Array(cellSlots);
  const posterior: number[] = [];

  for (let round = 0; round < iterations; round++) {
    // Weighted answer sums of every cell.
    sums.fill(0);
    for (let i = 0; i < voteVolunteer.length; i++) {
      sums[cellOffset[voteCell[i]!]! + voteAnswer[i]!]! += weight[voteVolunteer[i]! * NQ + voteQuestion[i]!]!;
    }
    goldAnswers.fill(0);
    goldAgreement.fill(0);
    consensusAnswers.fill(0);
    consensusAgreement.fill(0);
    // E-step: each answer's probability of being the true one.
    for (let i = 0; i < voteVolunteer.length; i++) {
      const cell = voteCell[i]!;
      const slot = voteVolunteer[i]! * NQ + voteQuestion[i]!;
      const k = voteAnswer[i]!;
      const gold = cellGold[cell]!;
      if (gold >= 0) {
        goldAnswers[slot]!++;
        if (gold === k) goldAgreement[slot]!++;
        continue;
      }
      const offset = cellOffset[cell]!;
      const size = QUESTIONS[cellQuestion[cell]!]!.answers.length;
      let others = 0;
      let top = Number.NEGATIVE_INFINITY;
      for (let a = 0; a < size; a++) {
        posterior[a] = sums[offset + a]! - (a === k ? weight[slot]! : 0);
        others += posterior[a]!;
        top = Math.max(top, posterior[a]!);
      }
      // Floating-point leftovers of the volunteer's own weight count as nobody.
      if (others <= 1e-9) continue;
      let z = 0;
      for (let a = 0; a < size; a++) z += Math.exp(posterior[a]! - top);
      consensusAnswers[slot]!++;
      consensusAgreement[slot]! += Math.exp(posterior[k]! - top) / z;
    }
    // M-step: the crowd's mean on each question, then each volunteer's smoothed reliability.
    for (let q = 0; q < NQ; q++) {
      let agreed = 0;
      let total = 0;
      for (let v = 0; v < nv; v++) {
        agreed += goldAgreement[v * NQ + q]! + consensusAgreement[v * NQ + q]!;
        total += goldAnswers[v * NQ + q]! + consensusAnswers[v * NQ + q]!;
      }
      means[q] = total > 0 ? agreed / total : Number.NaN;
    }
    for (let v = 0; v < nv; v++) {
      for (let q = 0; q < NQ; q++) {
        const slot = v * NQ + q;
        const m = means[q]!;
        if (Number.isNaN(m)) {
          // Nobody's answers to this question could be compared: everyone counts the same.
          reliability[slot] = Number.NaN;
          weight[slot] = 1;
          continue;
        }
        const agreed = goldAgreement[slot]! + consensusAgreement[slot]!;
        const compared = goldAnswers[slot]! + consensusAnswers[slot]!;
        reliability[slot] = (agreed + s * m) / (compared + s);
        weight[slot] = reliabilityWeight(reliability[slot], QUESTIONS[q]!.answers.length);
      }
    }
  }

  const volunteers = volunteerIds.map((volunteerId, v): VolunteerReliability => {
    const questions: Partial<Record<QuestionId, QuestionReliability>> = {};
    QUESTIONS.forEach((question, q) => {
      const slot = v * NQ + q;
      if (answers[slot] === 0) return;
      const r = iterations > 0 ? reliability[slot]! : Number.NaN;
      questions[question.id] = {
        answers: answers[slot]!,
        goldAnswers: goldAnswers[slot]!,
        goldAgreement: goldAgreement[slot]!,
        consensusAnswers: consensusAnswers[slot]!,
        consensusAgreement: consensusAgreement[slot]!,
        reliability: r,
        weight: weight[slot]!,
      };
    });
    return { volunteerId, classifications: classificationsOf[v]!, questions, reliability: pooledReliability(Object.values(questions)) };
  });
  const questionMeans: Partial<Record<QuestionId, number>> = {};
  QUESTIONS.forEach((question, q) => {
    if (!Number.isNaN(means[q]!)) questionMeans[question.id] = means[q]!;
  });
  return { volunteers, questionMeans, iterations, priorStrength: s };
}

/**
 * A volunteer's one skill figure from their per-question reliabilities: the mean over their
 * answers (questions weighted by how often they answered them), leaving out questions nobody
 * could be compared on (NaN); NaN when none is left.
 */
export function pooledReliability(questions: Iterable<{ readonly answers: number; readonly reliability: number }>): number {
  let pooled = 0;
  let answers = 0;
  for (const q of questions) {
    if (Number.isNaN(q.reliability)) continue;
    pooled += q.answers * q.reliability;
    answers += q.answers;
  }
  return answers > 0 ? pooled / answers : Number.NaN;
}

/**
 * The weight of a volunteer's answers to a question: theirs from the estimate, or for a
 * volunteer it has not seen (or a question they had not answered) the prior's, the crowd's
 * mean m_q; 1 for a question nobody could be compared on.
 */
export function voteWeight(estimate: ReliabilityEstimate, volunteerId: string, question: QuestionId): number {
  return weightLookup(estimate)(volunteerId, question);
}

function weightLookup(estimate: ReliabilityEstimate): (volunteerId: string, question: QuestionId) => number {
  const byId = new Map(estimate.volunteers.map((v) => [v.volunteerId, v]));
  return (volunteerId, question) => {
    const own = byId.get(volunteerId)?.questions[question];
    if (own && !Number.isNaN(own.reliability)) return own.weight;
    const m = estimate.questionMeans[question];
    return m === undefined ? 1 : reliabilityWeight(m, getQuestion(question).answers.length);
  };
}

export interface WeightedVoteFractions {
  readonly galaxyId: string;
  readonly classifications: number;
  /** The 37 cumulative fractions (Kaggle convention), every answer weighted by its volunteer's w_vq. */
  readonly voteFractions: number[];
}

/**
 * Every galaxy's weighted vote fractions, in order of its first classification. Where every
 * answer to a question of a galaxy weighs 0 (only volunteers at or below chance answered it)
 * that question falls back to its plain counts rather than losing the galaxy's branch.
 */
export function weightedVoteFractions(
  classifications: readonly CrowdClassification[],
  estimate: ReliabilityEstimate,
): WeightedVoteFractions[] {
  const weightOf = weightLookup(estimate);
  const galaxies = new Map<string, CrowdClassification[]>();
  for (const c of classifications) {
    const list = galaxies.get(c.galaxyId);
    if (list) list.push(c);
    else galaxies.set(c.galaxyId, [c]);
  }
  return [...galaxies].map(([galaxyId, list]) => {
    const walks = list.map((c) => c.answers);
    const weighted = countAnswers(walks, (walk, id) => weightOf(list[walk]!.volunteerId, questionOf(id))).counts;
    const plain = countAnswers(walks).counts;
    for (const question of QUESTIONS) {
      const ids = question.answers.map((a) => a.id);
      if (ids.some((id) => (plain[id] ?? 0) > 0) && ids.every((id) => (weighted[id] ?? 0) <= 0)) {
        for (const id of ids) weighted[id] = plain[id] ?? 0;
      }
    }
    return { galaxyId, classifications: list.length, voteFractions: chainedFractions(weighted) };
  });
}
