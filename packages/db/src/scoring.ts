/**
 * The active-learning loop's side of the database: what a scoring run reads (the active
 * galaxies with their votes), what it writes back (predictions, queue priorities,
 * retirements) and what the training worker watches to decide when to retrain.
 */
import { cumulativeFractions, DEFAULT_RETIREMENT, retirementReason, type RetirementRules } from "@hiwl/model";
import { chunks } from "./batch.ts";
import type { Db } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { getGalaxy, retireGalaxy, setPriorities } from "./galaxies.ts";
import { predictionProbabilities, upsertPredictions, type PredictionInput } from "./model-versions.ts";

export interface ScoringGalaxy {
  id: number;
  /** Absolute, or relative to HIWL_DATA_DIR. */
  imagePath: string;
  classificationCount: number;
  /** The 37 cumulative fractions of this platform's votes (all zero without classifications). */
  voteFractions: number[];
}

interface Row {
  id: number | bigint;
  imagePath: string;
  classificationCount: number | bigint;
  tallies: string | null;
}

/**
 * The galaxies still served to volunteers, by id, optionally of one source and only the first
 * `take`, with their vote fractions. One statement, so each galaxy's tallies match its
 * classificationCount.
 */
export async function activeGalaxiesForScoring(
  db: Db,
  options: { source?: string; take?: number } = {},
): Promise<ScoringGalaxy[]> {
  const source = options.source === undefined ? Prisma.empty : Prisma.sql`AND g."source" = ${options.source}`;
  const limit = options.take === undefined ? Prisma.empty : Prisma.sql`LIMIT ${options.take}`;
  const rows = await db.$queryRaw<Row[]>`
    SELECT g."id", g."imagePath", g."classificationCount",
      (SELECT json_group_object(t."answerId", t."count") FROM "VoteTally" t WHERE t."galaxyId" = g."id") AS "tallies"
    FROM "Galaxy" g
    WHERE g."retiredAt" IS NULL ${source}
    ORDER BY g."id" ${limit}`;
  return rows.map((r) => {
    const classificationCount = Number(r.classificationCount);
    return {
      id: Number(r.id),
      imagePath: r.imagePath,
      classificationCount,
      voteFractions: cumulativeFractions(JSON.parse(r.tallies ?? "{}") as Record<string, number>, classificationCount),
    };
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
 * Writes a scoring run: the predictions, then the priorities, then the retirements. Each step
 * is one transaction and idempotent, so a run that dies between them leaves a consistent
 * database that the next run brings up to date.
 */
export async function applyScores(
  db: Db,
  modelVersionId: number,
  scores: readonly GalaxyScore[],
): Promise<{ predictions: number; priorities: number; retired: number }> {
  const predictions = await upsertPredictions(db, modelVersionId, scores);
  const priorities = await setPriorities(db, scores.map((s) => ({ galaxyId: s.galaxyId, priority: s.priority })));
  const retired = await retireGalaxies(
    db,
    scores.flatMap((s) => (s.retirement === null ? [] : [{ galaxyId: s.galaxyId, reason: s.retirement }])),
  );
  return { predictions, priorities, retired };
}

/**
 * retireGalaxy for many galaxies in one transaction: as there, the first retirement stands.
 * Returns how many were retired now.
 */
export async function retireGalaxies(db: Db, retirements: readonly { galaxyId: number; reason: string }[]): Promise<number> {
  const now = new Date();
  const updated = await db.$transaction(
    chunks(retirements).map((chunk) => {
      const values = Prisma.join(chunk.map((r) => Prisma.sql`(${r.galaxyId}, ${r.reason})`));
      return db.$executeRaw`
        WITH "New" ("id", "reason") AS (VALUES ${values})
        UPDATE "Galaxy" SET "retiredAt" = ${now},
          "retirementReason" = (SELECT "reason" FROM "New" WHERE "New"."id" = "Galaxy"."id")
        WHERE "id" IN (SELECT "id" FROM "New") AND "retiredAt" IS NULL`;
    }),
  );
  return updated.reduce((sum, n) => sum + n, 0);
}

/**
 * The retirement rules applied to one galaxy right after a classification, with the prediction
 * and acquisition score of the latest scoring run. Scoring runs alone retire only when a model
 * is retrained: in between, the head of the queue would keep collecting votes far past its
 * count. Returns the reason the galaxy was retired for now, or null.
 */
export async function retireIfDone(db: Db, galaxyId: number, rules: RetirementRules = DEFAULT_RETIREMENT): Promise<string | null> {
  const galaxy = await getGalaxy(db, galaxyId);
  if (!galaxy || galaxy.retiredAt !== null) return null;
  const p = galaxy.latestPrediction;
  const reason = retirementReason(
    {
      classifications: galaxy.classificationCount,
      voteFractions: galaxy.voteFractions,
      prediction: p && predictionProbabilities(p),
      acquisition: p?.acquisition ?? null,
    },
    rules,
  );
  return reason !== null && (await retireGalaxy(db, galaxyId, reason)) ? reason : null;
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
