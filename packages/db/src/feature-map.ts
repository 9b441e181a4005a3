/**
 * Feature maps: for a model version, each scored galaxy's pooled backbone features projected
 * to 2-D by the trainer (apps/trainer/src/worker/feature-map.ts), for the dashboard's map.
 */
import type { HiwlClass } from "@hiwl/model";
import { storedConsensus, type Consensus } from "./aggregates.ts";
import { chunks } from "./batch.ts";
import type { Db } from "./client.ts";
import { predictedClassOf } from "./model-versions.ts";
import { Prisma } from "./generated/prisma/client.ts";

export interface FeaturePointInput {
  galaxyId: number;
  x: number;
  y: number;
}

/** The galaxies a model version has a prediction for, by id: the ones a feature map can show. */
export function scoredGalaxies(db: Db, modelVersionId: number): Promise<{ id: number; imagePath: string }[]> {
  return db.galaxy.findMany({
    where: { predictions: { some: { modelVersionId } } },
    select: { id: true, imagePath: true },
    orderBy: { id: "asc" },
  });
}

/** Replaces a model version's map in one transaction: readers see the old map or the new one. */
export async function replaceFeatureMap(db: Db, modelVersionId: number, points: readonly FeaturePointInput[]): Promise<number> {
  const bad = points.find((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y));
  if (bad) throw new Error(`feature map point of galaxy ${bad.galaxyId} is not finite: (${bad.x}, ${bad.y})`);
  const [, ...written] = await db.$transaction([
    db.featurePoint.deleteMany({ where: { modelVersionId } }),
    ...chunks(points).map((chunk) => {
      const values = Prisma.join(chunk.map((p) => Prisma.sql`(${modelVersionId}, ${p.galaxyId}, ${p.x}, ${p.y})`));
      return db.$executeRaw`INSERT INTO "FeaturePoint" ("modelVersionId", "galaxyId", "x", "y") VALUES ${values}`;
    }),
  ]);
  return written.reduce((sum, n) => sum + n, 0);
}

/** Model versions that have a map, with how many points each. */
export async function listFeatureMaps(db: Db): Promise<{ modelVersionId: number; points: number }[]> {
  const groups = await db.featurePoint.groupBy({ by: ["modelVersionId"], _count: { _all: true }, orderBy: { modelVersionId: "asc" } });
  return groups.map((g) => ({ modelVersionId: g.modelVersionId, points: g._count._all }));
}

export interface FeatureMapPoint extends FeaturePointInput {
  externalId: string;
  /** For the galaxy's image URL (Galaxy.imageHash). */
  imageHash: string | null;
  /** The volunteers' consensus (null: not classified yet). */
  consensus: Consensus;
  /** This model version's prediction for the galaxy (null if it has none any more). */
  predicted: HiwlClass | null;
}

/** A model version's map, by galaxy id, with what each point is coloured by. */
export async function getFeatureMap(db: Db, modelVersionId: number): Promise<FeatureMapPoint[]> {
  const points = await db.featurePoint.findMany({
    where: { modelVersionId },
    include: {
      galaxy: {
        select: {
          externalId: true,
          imageHash: true,
          consensus: true,
          predictions: { where: { modelVersionId }, select: { predictedClass: true } },
        },
      },
    },
    orderBy: { galaxyId: "asc" },
  });
  return points.map((p) => ({
    galaxyId: p.galaxyId,
    x: p.x,
    y: p.y,
    externalId: p.galaxy.externalId,
    imageHash: p.galaxy.imageHash,
    consensus: storedConsensus(p.galaxy.consensus),
    predicted: p.galaxy.predictions[0] ? predictedClassOf(p.galaxy.predictions[0]) : null,
  }));
}
