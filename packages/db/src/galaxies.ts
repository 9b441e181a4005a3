import { ANSWER_IDS, cumulativeFractions } from "@hiwl/model";
import { z } from "zod";
import { chunks } from "./batch.ts";
import type { Db } from "./client.ts";
import { InvalidInputError } from "./errors.ts";
import { Prisma, type Galaxy, type Prediction } from "./generated/prisma/client.ts";

/** One galaxy as an importer (catalogue file, Kaggle CSV, synthetic generator) gives it. */
export const galaxyInput = z.object({
  externalId: z.string().min(1),
  source: z.string().min(1),
  imagePath: z.string().min(1),
  ra: z.number().nullish(),
  dec: z.number().nullish(),
  catalogLabel: z.string().nullish(),
  /** Stored as JSON. */
  metadata: z.unknown().optional(),
  priorFractions: z.array(z.number().min(0).max(1)).length(ANSWER_IDS.length).readonly().nullish(),
  priority: z.number().optional(),
});
export type GalaxyInput = z.input<typeof galaxyInput>;

/**
 * Adds the galaxies not yet stored, in one transaction; a galaxy whose (source, externalId)
 * is already there is left as it is, so re-running an import only adds what is new.
 */
export async function insertGalaxies(db: Db, rows: readonly GalaxyInput[]): Promise<{ added: number; skipped: number }> {
  const parsed = z.array(galaxyInput).safeParse(rows);
  if (!parsed.success) throw new InvalidInputError(`invalid galaxies: ${z.prettifyError(parsed.error)}`);
  const now = new Date();
  // Raw SQL: Prisma's createMany has no skipDuplicates on SQLite, and one multi-row INSERT
  // per 500 galaxies keeps a 60,000-galaxy Kaggle import to seconds.
  const inserted = await db.$transaction(
    chunks(parsed.data).map((chunk) => {
      const values = chunk.map(
        (g) => Prisma.sql`(${g.externalId}, ${g.source}, ${g.imagePath}, ${g.ra ?? null}, ${g.dec ?? null},
          ${g.catalogLabel ?? null}, ${g.metadata == null ? null : JSON.stringify(g.metadata)},
          ${g.priorFractions ? JSON.stringify(g.priorFractions) : null}, ${g.priority ?? 0}, ${now})`,
      );
      return db.$executeRaw`
        INSERT INTO "Galaxy" ("externalId", "source", "imagePath", "ra", "dec", "catalogLabel", "metadata",
          "priorFractions", "priority", "createdAt")
        VALUES ${Prisma.join(values)}
        ON CONFLICT ("source", "externalId") DO NOTHING`;
    }),
  );
  const added = inserted.reduce((sum, n) => sum + n, 0);
  return { added, skipped: rows.length - added };
}

/** Which of these external ids of `source` are already stored (an import skips them). */
/** Database ids of the galaxies of a source that are already stored, keyed by external id. */
export async function findGalaxyIds(db: Db, source: string, externalIds: readonly string[]): Promise<Map<string, number>> {
  const found = await Promise.all(
    chunks(externalIds).map((chunk) =>
      db.galaxy.findMany({ where: { source, externalId: { in: chunk } }, select: { id: true, externalId: true } }),
    ),
  );
  return new Map(found.flat().map((g) => [g.externalId, g.id]));
}

export type GalaxyWithPrediction = Galaxy & { latestPrediction: Prediction | null };

const latestPrediction = {
  predictions: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 1 },
} satisfies Prisma.GalaxyInclude;

function withLatestPrediction<G extends Galaxy & { predictions: Prediction[] }>({ predictions, ...galaxy }: G) {
  return { ...galaxy, latestPrediction: predictions[0] ?? null };
}

export type GalaxyDetail = GalaxyWithPrediction & {
  /** Votes per answer id, only answers someone chose. */
  voteCounts: Record<string, number>;
  /** The 37 cumulative (Kaggle convention) fractions in ANSWER_IDS order. */
  voteFractions: number[];
};

export async function getGalaxy(db: Db, id: number): Promise<GalaxyDetail | null> {
  const galaxy = await db.galaxy.findUnique({ where: { id }, include: { tallies: true, ...latestPrediction } });
  if (!galaxy) return null;
  const { tallies, ...rest } = galaxy;
  const voteCounts = Object.fromEntries(tallies.map((t) => [t.answerId, t.count]));
  return {
    ...withLatestPrediction(rest),
    voteCounts,
    voteFractions: cumulativeFractions(voteCounts, galaxy.classificationCount),
  };
}

export async function galaxyCounts(db: Db): Promise<{ active: number; retired: number; total: number }> {
  const [total, retired] = await Promise.all([
    db.galaxy.count(),
    db.galaxy.count({ where: { retiredAt: { not: null } } }),
  ]);
  return { active: total - retired, retired, total };
}

export const galaxyListQuery = z.object({
  /** true: only retired, false: only active, absent: both. */
  retired: z.boolean().optional(),
  source: z.string().min(1).optional(),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(48),
});
export type GalaxyListQuery = z.input<typeof galaxyListQuery>;

/** A page of galaxies for the gallery, newest first, with the total for the pager. */
export async function listGalaxies(
  db: Db,
  query: GalaxyListQuery = {},
): Promise<{ galaxies: GalaxyWithPrediction[]; total: number }> {
  const parsed = galaxyListQuery.safeParse(query);
  if (!parsed.success) throw new InvalidInputError(`invalid gallery query: ${z.prettifyError(parsed.error)}`);
  const { retired, source, page, pageSize } = parsed.data;
  const where: Prisma.GalaxyWhereInput = {
    ...(retired === undefined ? {} : { retiredAt: retired ? { not: null } : null }),
    ...(source === undefined ? {} : { source }),
  };
  const [galaxies, total] = await Promise.all([
    db.galaxy.findMany({
      where,
      include: latestPrediction,
      orderBy: { id: "desc" },
      skip: (page - 1) * pageSize,
      take: pageSize,
    }),
    db.galaxy.count({ where }),
  ]);
  return { galaxies: galaxies.map(withLatestPrediction), total };
}

/** Writes the active-learning priorities of a scoring run in one transaction. */
export async function setPriorities(
  db: Db,
  priorities: readonly { galaxyId: number; priority: number }[],
): Promise<number> {
  const updated = await db.$transaction(
    chunks(priorities).map((chunk) => {
      const values = Prisma.join(chunk.map((p) => Prisma.sql`(${p.galaxyId}, ${p.priority})`));
      return db.$executeRaw`
        WITH "New" ("id", "priority") AS (VALUES ${values})
        UPDATE "Galaxy" SET "priority" = (SELECT "priority" FROM "New" WHERE "New"."id" = "Galaxy"."id")
        WHERE "id" IN (SELECT "id" FROM "New")`;
    }),
  );
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
