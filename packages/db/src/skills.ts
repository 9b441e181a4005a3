/**
 * How far each volunteer can be trusted, question by question: one-coin Dawid–Skene over every
 * counted classification, with the gold standard's answers as known truth (@hiwl/model
 * reliability.ts). refreshVolunteerSkills keeps the estimate in VolunteerSkill for researchers
 * to read; the trainer weights the vote fractions it learns from with the same estimate.
 */
import {
  estimateReliability,
  pooledReliability,
  weightedVoteFractions,
  type CrowdClassification,
  type QuestionId,
  type ReliabilityEstimate,
} from "@hiwl/model";
import type { Db } from "./client.ts";
import { answersOf } from "./contracts.ts";
import { goldAnswersOf } from "./gold.ts";
import { countedClassification } from "./classifications.ts";

export interface CrowdReliability {
  classifications: CrowdClassification[];
  /** Expert walks by galaxy id. */
  gold: Map<number, string[]>;
  estimate: ReliabilityEstimate;
}

/** The estimate from every counted classification (in id order: the estimate is deterministic) and every gold walk. */
export async function crowdReliability(db: Db): Promise<CrowdReliability> {
  const [rows, goldRows] = await Promise.all([
    db.classification.findMany({
      where: countedClassification,
      select: { id: true, volunteerId: true, galaxyId: true, answers: true },
      orderBy: { id: "asc" },
    }),
    db.goldStandard.findMany({ select: { galaxyId: true, answers: true } }),
  ]);
  const classifications = rows.map((c) => ({ volunteerId: c.volunteerId, galaxyId: String(c.galaxyId), answers: answersOf(c) }));
  const gold = new Map(goldRows.map((g) => [g.galaxyId, goldAnswersOf(g)]));
  const estimate = estimateReliability(classifications, {
    gold: [...gold].map(([galaxyId, answers]) => ({ galaxyId: String(galaxyId), answers })),
  });
  return { classifications, gold, estimate };
}

/** Every galaxy's vote fractions with each answer weighted by its volunteer's reliability, by galaxy id. */
export function reliabilityWeightedFractions(crowd: CrowdReliability): Map<number, number[]> {
  return new Map(weightedVoteFractions(crowd.classifications, crowd.estimate).map((w) => [Number(w.galaxyId), w.voteFractions]));
}

/** Estimates every volunteer's skill afresh and replaces the stored estimate in one transaction. */
export async function refreshVolunteerSkills(db: Db): Promise<{ volunteers: number; rows: number }> {
  const { estimate } = await crowdReliability(db);
  const updatedAt = new Date();
  const rows = estimate.volunteers.flatMap((v) =>
    Object.entries(v.questions).map(([questionId, q]) => ({
      volunteerId: v.volunteerId,
      questionId,
      answers: q.answers,
      goldAnswers: q.goldAnswers,
      goldAgreement: q.goldAgreement,
      consensusAnswers: q.consensusAnswers,
      consensusAgreement: q.consensusAgreement,
      reliability: Number.isNaN(q.reliability) ? null : q.reliability,
      weight: q.weight,
      updatedAt,
    })),
  );
  await db.$transaction([db.volunteerSkill.deleteMany(), db.volunteerSkill.createMany({ data: rows })]);
  return { volunteers: estimate.volunteers.length, rows: rows.length };
}

export interface QuestionSkill {
  questionId: QuestionId;
  answers: number;
  goldAnswers: number;
  goldAgreement: number;
  consensusAnswers: number;
  consensusAgreement: number;
  reliability: number | null;
  weight: number;
}

export interface VolunteerSkills {
  volunteerId: string;
  displayName: string | null;
  simulated: boolean;
  classifications: number;
  /** Over every question: answers compared with gold, and how many agreed. */
  goldAnswers: number;
  goldAgreement: number;
  /** Over every question: answers compared with the consensus, and their expected agreement. */
  consensusAnswers: number;
  consensusAgreement: number;
  /** The mean reliability over the volunteer's answers (questions weighted by how often they answered them); null when none could be compared. */
  reliability: number | null;
  questions: QuestionSkill[];
}

/**
 * The stored skill estimates, volunteers with the most classifications first, a page at a time,
 * and when they were computed (null: never).
 */
export async function listVolunteerSkills(
  db: Db,
  options: { page?: number; pageSize?: number } = {},
): Promise<{ total: number; pageSize: number; updatedAt: Date | null; volunteers: VolunteerSkills[] }> {
  const pageSize = options.pageSize ?? 50;
  const page = Math.max(1, options.page ?? 1);
  const where = { skills: { some: {} } };
  const [total, latest, volunteers] = await Promise.all([
    db.volunteer.count({ where }),
    db.volunteerSkill.aggregate({ _max: { updatedAt: true } }),
    db.volunteer.findMany({
      where,
      orderBy: [{ classifications: { _count: "desc" } }, { id: "asc" }],
      skip: (page - 1) * pageSize,
      take: pageSize,
      select: {
        id: true,
        displayName: true,
        simulated: true,
        _count: { select: { classifications: true } },
        skills: { orderBy: { questionId: "asc" } },
      },
    }),
  ]);
  return {
    total,
    pageSize,
    updatedAt: latest._max.updatedAt,
    volunteers: volunteers.map((v) => {
      const questions = v.skills
        .map((s): QuestionSkill => ({ ...s, questionId: s.questionId as QuestionId }))
        .sort((a, b) => Number(a.questionId) - Number(b.questionId));
      const sum = (pick: (q: QuestionSkill) => number) => questions.reduce((s, q) => s + pick(q), 0);
      // Stored as null where estimateReliability had NaN.
      const reliability = pooledReliability(questions.map((q) => ({ answers: q.answers, reliability: q.reliability ?? Number.NaN })));
      return {
        volunteerId: v.id,
        displayName: v.displayName,
        simulated: v.simulated,
        classifications: v._count.classifications,
        goldAnswers: sum((q) => q.goldAnswers),
        goldAgreement: sum((q) => q.goldAgreement),
        consensusAnswers: sum((q) => q.consensusAnswers),
        consensusAgreement: sum((q) => q.consensusAgreement),
        reliability: Number.isNaN(reliability) ? null : reliability,
        questions,
      };
    }),
  };
}
