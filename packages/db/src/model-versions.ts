import { isAbsolute } from "node:path";
import { entropy, HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import { z } from "zod";
import { chunks } from "./batch.ts";
import type { Db } from "./client.ts";
import {
  modelMetrics,
  modelVersionConfig,
  readStoredJson,
  shownModelMetrics,
  storedJsonText,
  writeJsonColumns,
  type ModelMetrics,
  type StoredModelMetrics,
  type TrainingSettings,
} from "./contracts.ts";
import { NotFoundError } from "./errors.ts";
import { Prisma, type ModelVersion, type Prediction } from "./generated/prisma/client.ts";
import { pathToStore } from "./paths.ts";
import { queryRows, type Queryable } from "./sql.ts";
import { isPrismaError } from "./prisma-errors.ts";

export interface ModelVersionInput {
  /** Directory name under $HIWL_DATA_DIR/models/. */
  version: string;
  path: string;
  /** The run's settings (contract: modelVersionConfig). */
  config: TrainingSettings;
  /** Its scores, split and curves (contract: modelMetrics; the trainer records RunMetrics). */
  metrics: StoredModelMetrics;
  trainingJobId?: number | null;
}

/** Registers a trained model, inactive until activateModelVersion. */
export async function createModelVersion(db: Db, input: ModelVersionInput): Promise<ModelVersion> {
  const place = (field: string) => ({ table: "ModelVersion", id: input.version, field });
  const config = storedJsonText(modelVersionConfig, input.config, place("config"));
  const metrics = storedJsonText(modelMetrics, input.metrics, place("metrics"));
  return db.$transaction(async (tx) => {
    const { id } = await tx.modelVersion.create({
      data: { version: input.version, path: input.path, config: {}, metrics: {}, trainingJobId: input.trainingJobId ?? null },
      select: { id: true },
    });
    // The JSON as text (writeJsonColumns: Prisma would round its numbers), in the same transaction.
    await writeJsonColumns(tx, "ModelVersion", id, { config, metrics });
    return tx.modelVersion.findUniqueOrThrow({ where: { id } });
  });
}

/**
 * The two statements that make one version the active one, for a caller's transaction (run
 * together, readers see the old active version or the new one, never none or two).
 */
export function activationStatements(db: Db, id: number) {
  return [
    db.modelVersion.updateMany({ where: { active: true, id: { not: id } }, data: { active: false } }),
    db.modelVersion.update({ where: { id }, data: { active: true } }),
  ] as const;
}

/** Runs a transaction that activates a version, turning a missing one into NotFoundError. */
export async function inActivation<T>(id: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isPrismaError(e, "recordNotFound")) throw new NotFoundError(`model version ${id} does not exist`, { cause: e });
    throw e;
  }
}

/** Makes one version the active one in one transaction. */
export function activateModelVersion(db: Db, id: number): Promise<ModelVersion> {
  return inActivation(id, async () => (await db.$transaction([...activationStatements(db, id)]))[1]);
}

/** Sets one part of a version's metrics (e.g. the activation decision made after training). */
export async function setModelVersionMetric<K extends keyof StoredModelMetrics>(
  db: Db,
  id: number,
  key: K,
  value: StoredModelMetrics[K],
): Promise<ModelVersion> {
  return db.$transaction(async (tx) => {
    const row = await tx.modelVersion.findUnique({ where: { id }, select: { metrics: true } });
    if (!row) throw new NotFoundError(`model version ${id} does not exist`);
    const place = { table: "ModelVersion", id, field: "metrics" };
    const metrics = readStoredJson(modelMetrics, row.metrics, place);
    await writeJsonColumns(tx, "ModelVersion", id, { metrics: storedJsonText(modelMetrics, { ...metrics, [key]: value }, place) });
    return tx.modelVersion.findUniqueOrThrow({ where: { id } });
  });
}

export type ModelVersionWithMetrics = Omit<ModelVersion, "metrics"> & { metrics: ModelMetrics };

/** A version with its metrics as the dashboard shows them (shownModelMetrics: malformed parts absent). */
export function withModelMetrics(version: ModelVersion): ModelVersionWithMetrics {
  return { ...version, metrics: shownModelMetrics(version) };
}

export function getActiveModelVersion(db: Db): Promise<ModelVersion | null> {
  return db.modelVersion.findFirst({ where: { active: true } });
}

export function listModelVersions(db: Db): Promise<ModelVersion[]> {
  return db.modelVersion.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
}

export interface PredictionInput {
  galaxyId: number;
  probabilities: Readonly<Record<HiwlClass, number>>;
  /** The hierarchical classifier's decision, which need not be the argmax of the probabilities. */
  predictedClass: HiwlClass;
  /** Acquisition score (entropy, margin, BALD, ...). */
  acquisition?: number | null;
}

const hiwlClass = z.enum(HIWL_CLASSES);

/** A stored prediction's class, typed; null for a value no HIWL model writes. */
export const predictedClassOf = (p: Pick<Prediction, "predictedClass">): HiwlClass | null =>
  hiwlClass.safeParse(p.predictedClass).data ?? null;

/** The active model version's prediction for one galaxy, or null (one raw statement: on every vote and galaxy page). */
export async function readActivePrediction(db: Queryable, galaxyId: number): Promise<Prediction | null> {
  const [prediction] = await queryRows<Prediction>(
    db,
    Prisma.sql`
      SELECT "p".* FROM "Prediction" AS "p" JOIN "ModelVersion" AS "m" ON "m"."id" = "p"."modelVersionId"
      WHERE "p"."galaxyId" = ${galaxyId} AND "m"."active" = TRUE
      LIMIT 1`,
  );
  return prediction ?? null;
}

/** A stored prediction's five probabilities keyed by class, in the shape @hiwl/model uses. */
export function predictionProbabilities(
  p: Pick<Prediction, "pRound" | "pInBetween" | "pCigar" | "pEdgeOn" | "pSpiral">,
): Record<HiwlClass, number> {
  return { round: p.pRound, "in-between": p.pInBetween, cigar: p.pCigar, "edge-on": p.pEdgeOn, spiral: p.pSpiral };
}

const MAX_ENTROPY = Math.log(HIWL_CLASSES.length);

/** Prediction.uncertainty: the entropy of the five probabilities scaled to [0, 1]. */
export function predictionUncertainty(probabilities: Readonly<Record<HiwlClass, number>>): number {
  return entropy(HIWL_CLASSES.map((c) => probabilities[c])) / MAX_ENTROPY;
}

/**
 * Stores a scoring run's predictions in one transaction; scoring a galaxy again with the same
 * model version replaces its prediction.
 */
export async function upsertPredictions(
  db: Db,
  modelVersionId: number,
  predictions: readonly PredictionInput[],
): Promise<number> {
  const now = new Date();
  const written = await db.$transaction(
    chunks(predictions).map((chunk) => {
      const values = chunk.map(({ galaxyId, probabilities: p, predictedClass, acquisition }) => {
        return Prisma.sql`(${galaxyId}, ${modelVersionId}, ${p.round}, ${p["in-between"]}, ${p.cigar},
          ${p["edge-on"]}, ${p.spiral}, ${predictedClass}, ${acquisition ?? null}, ${predictionUncertainty(p)}, ${now})`;
      });
      return db.$executeRaw`
        INSERT INTO "Prediction" ("galaxyId", "modelVersionId", "pRound", "pInBetween", "pCigar", "pEdgeOn",
          "pSpiral", "predictedClass", "acquisition", "uncertainty", "createdAt")
        VALUES ${Prisma.join(values)}
        ON CONFLICT ("galaxyId", "modelVersionId") DO UPDATE SET
          "pRound" = "excluded"."pRound", "pInBetween" = "excluded"."pInBetween", "pCigar" = "excluded"."pCigar",
          "pEdgeOn" = "excluded"."pEdgeOn", "pSpiral" = "excluded"."pSpiral",
          "predictedClass" = "excluded"."predictedClass", "acquisition" = "excluded"."acquisition",
          "uncertainty" = "excluded"."uncertainty"`;
    }),
  );
  return written.reduce((sum, n) => sum + n, 0);
}

/**
 * Model versions registered with an absolute path inside the data directory (the trainer did
 * so before paths were stored relative to it), stored relative to it (`hiwl db migrate`).
 * Returns how many.
 */
export async function relativiseModelPaths(db: Db, dataDir: string): Promise<number> {
  const versions = await db.modelVersion.findMany({ select: { id: true, path: true } });
  let changed = 0;
  for (const { id, path } of versions) {
    if (!isAbsolute(path)) continue;
    const stored = pathToStore(path, dataDir);
    if (stored === path) continue;
    await db.modelVersion.update({ where: { id }, data: { path: stored } });
    changed++;
  }
  return changed;
}
