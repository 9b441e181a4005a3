import { getQuestion, type QuestionId } from "@hiwl/model";

export interface Remaining {
  /** Questions left on the shortest way from here to an end of the tree (this one included). */
  min: number;
  /** ... and on the longest way. */
  max: number;
}

const memo = new Map<QuestionId, Remaining>();

/** How many questions are left from question `id` on, read off the tree (which has no cycles). */
export function remainingQuestions(id: QuestionId): Remaining {
  const known = memo.get(id);
  if (known) return known;
  const after = getQuestion(id).answers.map((a) => (a.next ? remainingQuestions(a.next) : { min: 0, max: 0 }));
  const result = { min: 1 + Math.min(...after.map((r) => r.min)), max: 1 + Math.max(...after.map((r) => r.max)) };
  memo.set(id, result);
  return result;
}
