/**
 * The active-learning loop's side of the database: what a scoring run reads (the active
 * galaxies with their votes), what it writes back (predictions, queue priorities,
 * retirements) and what the training worker watches to decide when to retrain.
 */
import { chunks } from "./batch.ts";
import type { Db } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { priorityStatements } from "./galaxies.ts";
import { activationStatements, inActivation, upsertPredictions, type PredictionInput } from "./model-versions.ts";
import { readTallies } from "./tallies.ts";

export interface ScoringGalaxy {
  id: number;
  /** Absolute, or relative to HIWL_DATA_DIR. */
  imagePath: string;
  classificationCount: number;
  /** The 37 cumulative fractions of this platform's votes (all zero without classifications). */
  voteFractions: number[];
}

/**
 * The galaxies still served to volunteers, by id, optionally of one source and only the first
 * `take`, with their vote fractions (readTallies: each galaxy's tallies match its
 * classificationCount). A galaxy deleted between the two reads is left out.
 */
export async function activeGalaxiesForScoring(
  db: Db,
  options: { source?: string; take?: number } = {},
): Promise<ScoringGalaxy[]> {
  const galaxies = await db.galaxy.findMany({
    where: { retiredAt: null, ...(options.source === undefined ? {} : { source: options.source }) },
    select: { id: true, imagePath: true },
    orderBy: { id: "asc" },
    ...(options.take === undefined ? {} : { take: options.take }),
  });
  const tallies = await readTallies(db, galaxies.map((g) => g.id));
  return galaxies.flatMap((g) => {
    const t = tallies.get(g.id);
    return t ? [{ id: g.id, imagePath: g.imagePath, classificationCount: t.classificationCount, voteFractions: t.voteFractions }] : [];
  });
}

export interface GalaxyScore extends PredictionInput {
  acquisition: number;
  /** Queue priority: higher is served first. */
  priority: number;
  /** Why to retire the galaxy now, or null to keep serving it. */
  retirement: string | null;
}

/**
 * Puts a model version's scoring run in charge. Its predictions are written first, while they
 * are still invisible (pages, the queue and retirement read only the active version's); then
 * one transaction makes the version the active one together with the queue priorities and
 * retirements its scores give. A run that dies before that transaction leaves the previous
 * version active and serving with its own priorities; running it again finishes the job.
 */
export async function activateWithScores(
  db: Db,
  modelVersionId: number,
  scores: readonly GalaxyScore[],
): Promise<{ predictions: number; priorities: number; retired: number }> {
  const predictions = await upsertPredictions(db, modelVersionId, scores);
  const priorities = priorityStatements(db, scores);
  const retirements = retirementStatements(
    db,
    scores.flatMap((s) => (s.retirement === null ? [] : [{ galaxyId: s.galaxyId, reason: s.retirement }])),
  );
  const [, , ...counts] = await inActivation(modelVersionId, () =>
    db.$transaction([...activationStatements(db, modelVersionId), ...priorities, ...retirements]),
  );
  const written = counts;
  return { predictions, priorities: sum(written.slice(0, priorities.length)), retired: sum(written.slice(priorities.length)) };
}

const sum = (counts: readonly number[]) => counts.reduce((a, b) => a + b, 0);

/** Retires galaxies in one transaction (the first retirement stands); returns how many retired now. */
export async function retireGalaxies(db: Db, retirements: readonly { galaxyId: number; reason: string }[]): Promise<number> {
  return sum(await db.$transaction(retirementStatements(db, retirements)));
}

/**
 * Statements that retire galaxies; as with retireGalaxy, the first retirement stands. Gold
 * galaxies are left alone: their votes never retire them (gold.ts).
 */
function retirementStatements(db: Db, retirements: readonly { galaxyId: number; reason: string }[]) {
  const now = new Date();
  return chunks(retirements).map((chunk) => {
    // Typed: PostgreSQL cannot infer a column type for the parameters of a VALUES list.
    const values = Prisma.join(chunk.map((r) => Prisma.sql`(CAST(${r.galaxyId} AS INTEGER), CAST(${r.reason} AS TEXT))`));
    return db.$executeRaw`
      WITH "New" ("id", "reason") AS (VALUES ${values})
      UPDATE "Galaxy" SET "retiredAt" = ${now},
        "retirementReason" = (SELECT "reason" FROM "New" WHERE "New"."id" = "Galaxy"."id")
      WHERE "id" IN (SELECT "id" FROM "New") AND "retiredAt" IS NULL
        AND NOT EXISTS (SELECT 1 FROM "GoldStandard" WHERE "GoldStandard"."galaxyId" = "Galaxy"."id")`;
  });
}

/** The id of the newest classification (0 when there is none): a mark to count new ones from. */
export async function latestClassificationId(db: Db): Promise<number> {
  const newest = await db.classification.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  return newest?.id ?? 0;
}

/** Classifications stored after the one with id `afterId`. */
export function countClassificationsAfter(db: Db, afterId: number): Promise<number> {
  return db.classification.count({ where: { id: { gt: afterId } } });
}

/** Whether a training job is waiting or running: the worker then queues none of its own. */
export async function hasPendingJob(db: Db): Promise<boolean> {
  return (await db.trainingJob.count({ where: { status: { in: ["queued", "running"] } } })) > 0;
}
