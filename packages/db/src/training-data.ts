/**
 * The trainer's view of the catalogue: every galaxy that has some label — a catalogue label,
 * votes from this platform's volunteers, or vote fractions a catalogue shipped (Kaggle) —
 * with what it needs to turn them into targets (see @hiwl/model/network targets.ts); and the
 * images of all galaxies for scoring runs.
 */
import { ANSWER_IDS, cumulativeFractions } from "@hiwl/model";
import type { Db } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";

export interface TrainingGalaxy {
  id: number;
  externalId: string;
  source: string;
  /** Absolute, or relative to HIWL_DATA_DIR. */
  imagePath: string;
  catalogLabel: string | null;
  classificationCount: number;
  /** The 37 cumulative fractions of this platform's votes (VoteTally), or null without classifications. */
  voteFractions: number[] | null;
  /** The 37 cumulative fractions the catalogue shipped, or null. */
  priorFractions: number[] | null;
}

interface Row {
  id: number | bigint;
  externalId: string;
  source: string;
  imagePath: string;
  catalogLabel: string | null;
  classificationCount: number | bigint;
  priorFractions: string | null;
  tallies: string | null;
}

/**
 * Galaxies with any label, by id, optionally of one source. One statement: SQLite reads it
 * from one snapshot, so tallies always match classificationCount, and each galaxy's tallies
 * come from the (galaxyId, answerId) primary key as a JSON object.
 */
export async function listTrainingGalaxies(db: Db, options: { source?: string } = {}): Promise<TrainingGalaxy[]> {
  const source = options.source === undefined ? Prisma.empty : Prisma.sql`AND g."source" = ${options.source}`;
  const rows = await db.$queryRaw<Row[]>`
    SELECT g."id", g."externalId", g."source", g."imagePath", g."catalogLabel", g."classificationCount",
      g."priorFractions",
      (SELECT json_group_object(t."answerId", t."count") FROM "VoteTally" t WHERE t."galaxyId" = g."id") AS "tallies"
    FROM "Galaxy" g
    WHERE (g."catalogLabel" IS NOT NULL OR g."classificationCount" > 0 OR g."priorFractions" IS NOT NULL) ${source}
    ORDER BY g."id"`;
  return rows.map((r) => {
    const classificationCount = Number(r.classificationCount);
    const prior = r.priorFractions === null ? null : (JSON.parse(r.priorFractions) as number[]);
    if (prior && prior.length !== ANSWER_IDS.length) {
      throw new Error(`galaxy ${r.id} has ${prior.length} prior vote fractions, expected ${ANSWER_IDS.length}`);
    }
    return {
      id: Number(r.id),
      externalId: r.externalId,
      source: r.source,
      imagePath: r.imagePath,
      catalogLabel: r.catalogLabel,
      classificationCount,
      voteFractions:
        classificationCount > 0
          ? cumulativeFractions(JSON.parse(r.tallies ?? "{}") as Record<string, number>, classificationCount)
          : null,
      priorFractions: prior,
    };
  });
}

/** Every galaxy's image, by id, optionally of one source: what a scoring run predicts. */
export function listGalaxyImages(db: Db, options: { source?: string } = {}): Promise<{ id: number; imagePath: string }[]> {
  return db.galaxy.findMany({
    where: options.source === undefined ? {} : { source: options.source },
    select: { id: true, imagePath: true },
    orderBy: { id: "asc" },
  });
}
