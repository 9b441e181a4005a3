/** Vote data from the API shaped for the @hiwl/ui tables and bars; all tree knowledge comes from @hiwl/model. */
import type { ProbabilityItem, VoteFractionGroup } from "@hiwl/ui";
import { ANSWER_IDS, CLASS_LABELS, HIWL_CLASSES, QUESTIONS, type HiwlClass } from "@hiwl/model";

/** One group per question of the tree, with each answer's cumulative fraction and vote count. */
export function voteGroups(fractions: readonly number[], counts?: Readonly<Record<string, number>>): VoteFractionGroup[] {
  const byId = new Map(ANSWER_IDS.map((id, i) => [id, fractions[i] ?? 0]));
  return QUESTIONS.map((q) => ({
    id: q.id,
    title: `Q${q.id}. ${q.text}`,
    rows: q.answers.map((a) => ({
      id: a.id,
      label: a.label,
      value: byId.get(a.id) ?? 0,
      ...(counts ? { count: counts[a.id] ?? 0 } : {}),
    })),
  }));
}

/** The five HIWL classes with their probabilities, in the model's order. */
export function classItems(probs: Readonly<Record<HiwlClass, number>>): ProbabilityItem[] {
  return HIWL_CLASSES.map((c) => ({ id: c, label: CLASS_LABELS[c], value: probs[c] }));
}
