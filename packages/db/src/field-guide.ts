/**
 * Example galaxies for every answer of the decision tree, for the field guide and the
 * tutorial: retired galaxies on which the volunteers who reached a question agreed on one
 * answer, the clearest first. A new catalogue brings its own examples as its galaxies retire,
 * and nothing still being classified is shown (its answer would be given away). Gold galaxies
 * are never examples: a volunteer who had seen one here would meet it again as a test whose
 * answer they had been shown, and their skill estimate would say more than it should.
 */
import { QUESTIONS } from "@hiwl/model";
import type { Db } from "./client.ts";
import { readTallies } from "./tallies.ts";

export interface AnswerExample {
  galaxyId: number;
  imageHash: string | null;
  /** The answer's share of the votes on its question. */
  share: number;
  /** How many volunteers answered the question. */
  votes: number;
}

export interface ExampleCriteria {
  perAnswer: number;
  /** The least share of a question's votes the answer needs. */
  minShare: number;
  /** The least number of volunteers who answered the question. */
  minVotes: number;
}

export const FIELD_GUIDE_CRITERIA: ExampleCriteria = { perAnswer: 3, minShare: 0.8, minVotes: 5 };

/** Up to `perAnswer` examples per answer id (answers without any are left out). */
export async function answerExamples(db: Db, criteria: ExampleCriteria = FIELD_GUIDE_CRITERIA): Promise<Record<string, AnswerExample[]>> {
  const retired = await db.galaxy.findMany({
    where: { retiredAt: { not: null }, classificationCount: { gte: criteria.minVotes }, gold: { is: null } },
    select: { id: true, imageHash: true },
  });
  const hashes = new Map(retired.map((g) => [g.id, g.imageHash]));
  const tallies = await readTallies(db, [...hashes.keys()]);
  const candidates: Record<string, AnswerExample[]> = {};
  for (const { galaxyId, counts } of tallies.values()) {
    for (const question of QUESTIONS) {
      const votes = question.answers.reduce((sum, a) => sum + (counts[a.id] ?? 0), 0);
      if (votes < criteria.minVotes) continue;
      for (const answer of question.answers) {
        const share = (counts[answer.id] ?? 0) / votes;
        if (share >= criteria.minShare) (candidates[answer.id] ??= []).push({ galaxyId, imageHash: hashes.get(galaxyId) ?? null, share, votes });
      }
    }
  }
  return Object.fromEntries(
    Object.entries(candidates).map(([id, list]) => [
      id,
      list.sort((x, y) => y.share - x.share || y.votes - x.votes || x.galaxyId - y.galaxyId).slice(0, criteria.perAnswer),
    ]),
  );
}
