import { HIWL_CLASSES } from "@hiwl/model";
import { z } from "zod";
import { CONSENSUS_VALUES, storedConsensus, type Consensus } from "./aggregates.ts";
import { chunks } from "./batch.ts";
import type { Db } from "./client.ts";
import { galaxyMetadata, priorFractions, priorFractionsOf } from "./contracts.ts";
import { InvalidInputError } from "./errors.ts";
import { Prisma, type Galaxy, type Prediction } from "./generated/prisma/client.ts";
import { hashImageFile, IMAGE_HASH } from "./images.ts";
import { readActivePrediction } from "./model-versions.ts";
import { sqlOf } from "./sql.ts";
import { readGalaxyTallies, type GalaxyTallies } from "./tallies.ts";

/** One galaxy as an importer (catalogue file, Kaggle CSV, synthetic generator) gives it. */
export const galaxyInput = z.object({
  externalId: z.string().min(1),
  source: z.string().min(1),
  imagePath: z.string().min(1),
  /** The image file's SHA-256; absent: computed from the file by insertGalaxies. */
  imageHash: z.string().regex(IMAGE_HASH, "64 lower-case hex digits (SHA-256)").optional(),
  ra: z.number().nullish(),
  dec: z.number().nullish(),
  catalogLabel: z.string().nullish(),
  metadata: galaxyMetadata.nullish(),
  priorFractions: priorFractions.nullish(),
  priority: z.number().optional(),
});
export type GalaxyInput = z.input<typeof galaxyInput>;

/**
 * Adds the galaxies not yet stored, in one transaction; a galaxy whose (source, externalId)
 * is already there is left as it is, so re-running an import only adds what is new. Image
 * paths are absolute or relative to `dataDir` (default HIWL_DATA_DIR), which is where the
 * image hashes not given are computed from; a file that cannot be read leaves its galaxy
 * without one (its image route then never lets browsers keep it).
 */
export async function insertGalaxies(
  db: Db,
  rows: readonly GalaxyInput[],
  options: { dataDir?: string } = {},
): Promise<{ added: number; skipped: number }> {
  const parsed = z.array(galaxyInput).safeParse(rows);
  if (!parsed.success) throw new InvalidInputError(`invalid galaxies: ${z.prettifyError(parsed.error)}`);
  const galaxies = [];
  for (const chunk of chunks(parsed.data)) {
    galaxies.push(
      ...(await Promise.all(chunk.map(async (g) => ({ ...g, imageHash: g.imageHash ?? (await hashImageFile(g.imagePath, options.dataDir)) })))),
    );
  }
  const now = new Date();
  // The contracts parsed these values above; stored as their JSON text.
  const json = (value: unknown) => (value == null ? null : JSON.stringify(value));
  // Raw SQL: Prisma's createMany has no skipDuplicates on SQLite, and one multi-row INSERT
  // per 500 galaxies keeps a 60,000-galaxy Kaggle import to seconds.
  const inserted = await db.$transaction(
    chunks(galaxies).map((chunk) => {
      const values = chunk.map(
        (g) => Prisma.sql`(${g.externalId}, ${g.source}, ${g.imagePath}, ${g.imageHash}, ${g.ra ?? null}, ${g.dec ?? null},
          ${g.catalogLabel ?? null}, ${json(g.metadata)}, ${json(g.priorFractions)}, ${g.priority ?? 0}, ${now})`,
      );
      return db.$executeRaw`
        INSERT INTO "Galaxy" ("externalId", "source", "imagePath", "imageHash", "ra", "dec", "catalogLabel", "metadata",
          "priorFractions", "priority", "createdAt")
        VALUES ${Prisma.join(values)}
        ON CONFLICT ("source", "externalId") DO NOTHING`;
    }),
  );
  const added = inserted.reduce((sum, n) => sum + n, 0);
  return { added, skipped: rows.length - added };
}

/** Database ids of the galaxies of a source that are already stored, keyed by external id. */
export async function findGalaxyIds(db: Db, source: string, externalIds: readonly string[]): Promise<Map<string, number>> {
  const found = await Promise.all(
    chunks(externalIds).map((chunk) =>
      db.galaxy.findMany({ where: { source, externalId: { in: chunk } }, select: { id: true, externalId: true } }),
    ),
  );
  return new Map(found.flat().map((g) => [g.externalId, g.id]));
}

export type GalaxyWithPrediction = Galaxy & {
  /** The active model version's prediction; other versions' predictions are never shown or used. */
  activePrediction: Prediction | null;
};

const activePrediction = {
  predictions: { where: { modelVersion: { active: true } }, take: 1 },
} satisfies Prisma.GalaxyInclude;

function withActivePrediction<G extends Galaxy & { predictions: Prediction[] }>({ predictions, ...galaxy }: G) {
  return { ...galaxy, activePrediction: predictions[0] ?? null };
}

export type GalaxyDetail = Omit<GalaxyWithPrediction, "priorFractions"> & {
  /** The catalogue's own 37 fractions (Kaggle), when it shipped them. */
  priorFractions: readonly number[] | null;
  /** Votes per answer id, only answers someone chose. */
  voteCounts: GalaxyTallies["counts"];
  /** The 37 cumulative (Kaggle convention) fractions in ANSWER_IDS order. */
  voteFractions: GalaxyTallies["voteFractions"];
};

/** A galaxy's detail from its row, its tallies and the active model's prediction for it. */
export function galaxyDetailOf(galaxy: Galaxy, tallies: GalaxyTallies, activePrediction: Prediction | null): GalaxyDetail {
  return {
    ...galaxy,
    activePrediction,
    // The count the tallies were read with (one statement), so the fractions never exceed 1.
    classificationCount: tallies.classificationCount,
    priorFractions: priorFractionsOf(galaxy),
    voteCounts: tallies.counts,
    voteFractions: tallies.voteFractions,
  };
}

export async function getGalaxy(db: Db, id: number): Promise<GalaxyDetail | null> {
  // On the driver (sql.ts): every galaxy page reads this.
  const sql = await sqlOf(db);
  const [galaxy] = await sql.query<Galaxy>(Prisma.sql`SELECT * FROM "Galaxy" WHERE "id" = ${id}`);
  const tallies = galaxy && (await readGalaxyTallies(sql, id));
  if (!galaxy || !tallies) return null;
  return galaxyDetailOf(galaxy, tallies, await readActivePrediction(sql, id));
}

/** Where a galaxy's image is stored and its content hash, or null (on the driver: every image request). */
export async function getGalaxyImage(db: Db, id: number): Promise<Pick<Galaxy, "imagePath" | "imageHash"> | null> {
  const [row] = await (await sqlOf(db)).query<Pick<Galaxy, "imagePath" | "imageHash">>(
    Prisma.sql`SELECT "imagePath", "imageHash" FROM "Galaxy" WHERE "id" = ${id}`,
  );
  return row ?? null;
}

export async function galaxyCounts(db: Db): Promise<{ active: number; retired: number; total: number }> {
  // One statement: one snapshot on PostgreSQL, so the three always add up while galaxies retire.
  const [row] = await db.$queryRaw<{ total: number; retired: number }[]>`
    SELECT CAST(COUNT(*) AS INTEGER) AS "total", CAST(COUNT("retiredAt") AS INTEGER) AS "retired" FROM "Galaxy"`;
  const total = Number(row!.total);
  const retired = Number(row!.retired);
  return { active: total - retired, retired, total };
}

const fraction = z.number().min(0).max(1);

export const GALLERY_SORTS = ["newest", "most-uncertain", "least-uncertain"] as const;
export type GallerySort = (typeof GALLERY_SORTS)[number];

export const galaxyListQuery = z.object({
  /** true: only retired, false: only active, absent: both. */
  retired: z.boolean().optional(),
  source: z.string().min(1).optional(),
  /** The volunteers' consensus class, or "none": classified, but no class passes its rules. */
  consensus: z.enum(CONSENSUS_VALUES).optional(),
  /** The class the active model predicts. */
  predicted: z.enum(HIWL_CLASSES).optional(),
  /** The active model's Prediction.uncertainty, at least `min` and below `max`. */
  uncertainty: z.object({ min: fraction.optional(), max: fraction.optional() }).optional(),
  /** By uncertainty: galaxies the active model has not scored come last. */
  sort: z.enum(GALLERY_SORTS).default("newest"),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(48),
});
export type GalaxyListQuery = z.input<typeof galaxyListQuery>;

export type GalleryGalaxy = GalaxyWithPrediction & { consensus: Consensus };

const ORDER: Record<GallerySort, Prisma.Sql> = {
  newest: Prisma.sql`g."id" DESC`,
  "most-uncertain": Prisma.sql`p."uncertainty" IS NULL, p."uncertainty" DESC, g."id" DESC`,
  "least-uncertain": Prisma.sql`p."uncertainty" IS NULL, p."uncertainty" ASC, g."id" DESC`,
};

/** A page of galaxies for the gallery, newest first unless sorted otherwise, with the total for the pager. */
export async function listGalaxies(db: Db, query: GalaxyListQuery = {}): Promise<{ galaxies: GalleryGalaxy[]; total: number }> {
  const parsed = galaxyListQuery.safeParse(query);
  if (!parsed.success) throw new InvalidInputError(`invalid gallery query: ${z.prettifyError(parsed.error)}`);
  const { retired, source, consensus, predicted, uncertainty, sort, page, pageSize } = parsed.data;
  const conditions = [
    retired === undefined ? null : retired ? Prisma.sql`g."retiredAt" IS NOT NULL` : Prisma.sql`g."retiredAt" IS NULL`,
    source === undefined ? null : Prisma.sql`g."source" = ${source}`,
    consensus === undefined ? null : Prisma.sql`g."consensus" = ${consensus}`,
    predicted === undefined ? null : Prisma.sql`p."predictedClass" = ${predicted}`,
    uncertainty?.min === undefined ? null : Prisma.sql`p."uncertainty" >= ${uncertainty.min}`,
    uncertainty?.max === undefined ? null : Prisma.sql`p."uncertainty" < ${uncertainty.max}`,
  ].filter((c) => c !== null);
  const from = Prisma.sql`FROM "Galaxy" g
    LEFT JOIN "Prediction" p ON p."galaxyId" = g."id"
      AND p."modelVersionId" = (SELECT "id" FROM "ModelVersion" WHERE "active" LIMIT 1)
    ${conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty}`;
  const [rows, [count]] = await db.$transaction([
    db.$queryRaw<{ id: number | bigint }[]>`SELECT g."id" ${from} ORDER BY ${ORDER[sort]}
      LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
    db.$queryRaw<{ total: number | bigint }[]>`SELECT COUNT(*) AS "total" ${from}`,
  ]);
  const ids = rows.map((r) => Number(r.id));
  const galaxies = await db.galaxy.findMany({ where: { id: { in: ids } }, include: activePrediction });
  const byId = new Map(galaxies.map((g) => [g.id, withActivePrediction(g)]));
  return {
    galaxies: ids.flatMap((id) => {
      const galaxy = byId.get(id);
      // Deleted between the two reads: the page is one shorter.
      return galaxy ? [{ ...galaxy, consensus: storedConsensus(galaxy.consensus) }] : [];
    }),
    total: Number(count!.total),
  };
}

/** The statements that write queue priorities, for a caller's transaction. */
export function priorityStatements(db: Db, priorities: readonly { galaxyId: number; priority: number }[]) {
  return chunks(priorities).map((chunk) => {
    // Typed: PostgreSQL cannot infer a column type for the parameters of a VALUES list.
    const values = Prisma.join(chunk.map((p) => Prisma.sql`(CAST(${p.galaxyId} AS INTEGER), CAST(${p.priority} AS DOUBLE PRECISION))`));
    return db.$executeRaw`
      WITH "New" ("id", "priority") AS (VALUES ${values})
      UPDATE "Galaxy" SET "priority" = (SELECT "priority" FROM "New" WHERE "New"."id" = "Galaxy"."id")
      WHERE "id" IN (SELECT "id" FROM "New")`;
  });
}

/** Writes the active-learning priorities of a scoring run in one transaction. */
export async function setPriorities(db: Db, priorities: readonly { galaxyId: number; priority: number }[]): Promise<number> {
  const updated = await db.$transaction(priorityStatements(db, priorities));
  return updated.reduce((sum, n) => sum + n, 0);
}

/**
 * Takes a galaxy out of the queue. The first retirement stands (its time and reason are the
 * record of why the galaxy stopped being served); returns false if it was already retired.
 */
export async function retireGalaxy(db: Db, galaxyId: number, reason: string): Promise<boolean> {
  const { count } = await db.galaxy.updateMany({
    where: { id: galaxyId, retiredAt: null },
    data: { retiredAt: new Date(), retirementReason: reason },
  });
  return count === 1;
}
