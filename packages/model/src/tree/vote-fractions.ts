/**
 * From a galaxy's classifications to the 37 Kaggle vote fractions and back.
 *
 * Kaggle convention (cumulative): an answer's value is the fraction of all volunteers who
 * gave it, i.e. P(reached its question) x P(answer | question). Q1 sums to 1, Q2 to 1.2,
 * Q7 to 1.1, and so on down the tree. The published data break this for Q6 (normalised to
 * sum to 1) and therefore for Q8 (sums to 6.1); `kaggleNormalised` in the tree marks it.
 */
import {
  ANSWER_IDS,
  QUESTIONS,
  ROOT_QUESTION,
  TOPOLOGICAL_ORDER,
  descendants,
  getQuestion,
  type QuestionId,
} from "./decision-tree.ts";

/** Counts of each answer over a galaxy's classifications, keyed by answer id ("7.3"). */
export type AnswerCounts = Readonly<Record<string, number>>;

/** The 37 values in ANSWER_IDS order. */
export type VoteVector = readonly number[];

const indexOf = new Map(ANSWER_IDS.map((id, i) => [id, i]));
const questionAnswerIndices = new Map<QuestionId, number[]>(
  QUESTIONS.map((q) => [q.id, q.answers.map((ans) => indexOf.get(ans.id)!)]),
);

/**
 * Tallies a list of walks (each an ordered list of answer ids) into answer counts. With
 * `weight`, each answer adds the weight it is given (the walk's index and the answer id; e.g.
 * its volunteer's reliability on that question, `labels/reliability.ts`) instead of 1; `total`
 * stays the number of walks. Weighted counts of different questions need not share a scale:
 * read them with `chainedFractions`.
 */
export function countAnswers(
  walks: Iterable<readonly string[]>,
  weight?: (walk: number, answerId: string) => number,
): { counts: Record<string, number>; total: number } {
  const counts: Record<string, number> = {};
  let total = 0;
  for (const w of walks) {
    for (const id of w) counts[id] = (counts[id] ?? 0) + (weight ? weight(total, id) : 1);
    total++;
  }
  return { counts, total };
}

/**
 * The 37 cumulative fractions in the Kaggle convention from answer counts over `total`
 * classifications. No classifications: all zeros.
 */
export function cumulativeFractions(counts: AnswerCounts, total: number): number[] {
  const out = ANSWER_IDS.map((id) => (total > 0 ? (counts[id] ?? 0) / total : 0));
  for (const q of QUESTIONS) {
    if (!q.kaggleNormalised) continue;
    const reached = questionSum(out, q.id);
    if (reached <= 0) continue;
    for (const qid of [q.id, ...descendants(q.id)]) {
      for (const i of questionAnswerIndices.get(qid)!) out[i] = out[i]! / reached;
    }
  }
  return out;
}

/**
 * The 37 cumulative fractions from answer counts read one question at a time: each question's
 * counts become conditional shares p(answer | question) = count / (sum of the question's
 * counts), chained down the tree from Q1 (a question's value is the sum of the answers leading
 * to it times its shares), then Q6 normalised as in `cumulativeFractions`. For unweighted
 * counts of complete walks it equals `cumulativeFractions(counts, total)`; for weighted counts
 * (`countAnswers` with a weight) it is their generalisation, each question weighted on its own
 * scale. A question reached by the chain whose counts are all zero passes nothing on.
 */
export function chainedFractions(counts: AnswerCounts): number[] {
  const reach = new Map<QuestionId, number>([[ROOT_QUESTION, 1]]);
  const chained: Record<string, number> = {};
  for (const id of TOPOLOGICAL_ORDER) {
    const question = getQuestion(id);
    const reached = reach.get(id) ?? 0;
    const sum = question.answers.reduce((s, ans) => s + (counts[ans.id] ?? 0), 0);
    for (const ans of question.answers) {
      const value = reached > 0 && sum > 0 ? (reached * (counts[ans.id] ?? 0)) / sum : 0;
      chained[ans.id] = value;
      if (ans.next) reach.set(ans.next, (reach.get(ans.next) ?? 0) + value);
    }
  }
  return cumulativeFractions(chained, 1);
}

/** Sum of one question's values in a 37-vector. */
export function questionSum(values: VoteVector, id: QuestionId): number {
  return questionAnswerIndices.get(id)!.reduce((s, i) => s + values[i]!, 0);
}

/**
 * Per-question conditional fractions P(answer | question reached), from cumulative values
 * (ours or Kaggle's: dividing by the question's own sum undoes any normalisation). A
 * question nobody reached gets zeros.
 */
export function conditionalFractions(cumulative: VoteVector): number[] {
  if (cumulative.length !== ANSWER_IDS.length) {
    throw new Error(`expected ${ANSWER_IDS.length} vote fractions, got ${cumulative.length}`);
  }
  const out = new Array<number>(ANSWER_IDS.length).fill(0);
  for (const q of QUESTIONS) {
    const sum = questionSum(cumulative, q.id);
    if (sum <= 0) continue;
    for (const i of questionAnswerIndices.get(q.id)!) out[i] = cumulative[i]! / sum;
  }
  return out;
}

/** Value of one answer in a 37-vector. */
export function fraction(values: VoteVector, answerId: string): number {
  const i = indexOf.get(answerId);
  if (i === undefined) throw new Error(`unknown answer "${answerId}"`);
  return values[i]!;
}

/**
 * Checks that a 37-vector is consistent with the tree in the Kaggle convention: each value in
 * [0,1], Q1 and Q6 sum to 1 (or Q6 to 0 when nobody reached it), every other question sums to
 * the value of the answer(s) leading to it. Returns the problems found, empty when valid.
 */
export function checkCumulative(values: VoteVector, tolerance = 0.02): string[] {
  const problems: string[] = [];
  if (values.length !== ANSWER_IDS.length) return [`expected ${ANSWER_IDS.length} values, got ${values.length}`];
  values.forEach((v, i) => {
    if (!Number.isFinite(v) || v < 0 || v > 1) problems.push(`Class${ANSWER_IDS[i]} = ${v} is not a number in [0, 1]`);
  });
  if (problems.length) return problems;
  for (const q of QUESTIONS) {
    const sum = questionSum(values, q.id);
    const expected = expectedQuestionSum(values, q.id);
    const ok = Math.abs(sum - expected) <= tolerance || (q.kaggleNormalised && sum <= tolerance);
    if (!ok) {
      problems.push(`question ${q.id} sums to ${sum.toFixed(4)} but should sum to ${expected.toFixed(4)}`);
    }
  }
  return problems;
}

/** What a question's cumulative values should add up to, given the answers leading to it. */
function expectedQuestionSum(values: VoteVector, id: QuestionId): number {
  const q = getQuestion(id);
  if (id === "1" || q.kaggleNormalised) return 1;
  const parents = QUESTIONS.flatMap((p) => p.answers.filter((ans) => ans.next === id));
  // A question reached from several answers (Q4 from 3.1 and 3.2; Q5 from 4.2 and Q11) is
  // reached by the volunteers who gave any of them.
  return parents.reduce((s, ans) => s + fraction(values, ans.id), 0);
}
