/**
 * THE reader of VoteTally rows: every page, export, scoring run, training set, submission and
 * integrity check that needs a galaxy's votes gets them from readTallies, so they all see the
 * same counts and turn them into fractions the same way.
 */
import { cumulativeFractions } from "@hiwl/model";
import { chunks } from "./batch.ts";
import { queryRows, type Queryable } from "./sql.ts";
import { Prisma } from "./generated/prisma/client.ts";

export interface GalaxyTallies {
  galaxyId: number;
  /** The galaxy's classificationCount, read in the same statement as its tallies. */
  classificationCount: number;
  /** Votes per answer id, only answers someone chose. */
  counts: Record<string, number>;
  /** The 37 cumulative (Kaggle convention) fractions in ANSWER_IDS order. */
  voteFractions: number[];
}

/** A galaxy's fractions from its tally counts and classification count. */
export function talliesOf(galaxyId: number, counts: Record<string, number>, classificationCount: number): GalaxyTallies {
  return { galaxyId, classificationCount, counts, voteFractions: cumulativeFractions(counts, classificationCount) };
}

interface Row {
  galaxyId: number | bigint;
  classificationCount: number | bigint;
  answerId: string | null;
  count: number | bigint | null;
}

/**
 * The tallies of the galaxies `galaxyIds` names, by id (a galaxy that does not exist is left
 * out; one without votes has empty counts and zero fractions). Each galaxy's tallies and
 * classificationCount come from one statement, so its fractions never run ahead of its count
 * while votes arrive. Portable SQL (a join on the primary keys), in chunks of ids; works in a
 * caller's transaction too.
 */
export async function readTallies(
  db: Queryable,
  galaxyIds: readonly number[],
): Promise<Map<number, GalaxyTallies>> {
  const byGalaxy = new Map<number, { classificationCount: number; counts: Record<string, number> }>();
  for (const ids of chunks([...new Set(galaxyIds)])) {
    const rows = await queryRows<Row>(
      db,
      Prisma.sql`
        SELECT g."id" AS "galaxyId", g."classificationCount", t."answerId", t."count"
        FROM "Galaxy" g LEFT JOIN "VoteTally" t ON t."galaxyId" = g."id"
        WHERE g."id" IN (${Prisma.join(ids)})`,
    );
    for (const r of rows) {
      const galaxyId = Number(r.galaxyId);
      let entry = byGalaxy.get(galaxyId);
      if (!entry) byGalaxy.set(galaxyId, (entry = { classificationCount: Number(r.classificationCount), counts: {} }));
      if (r.answerId !== null) entry.counts[r.answerId] = Number(r.count);
    }
  }
  return new Map([...byGalaxy].map(([galaxyId, t]) => [galaxyId, talliesOf(galaxyId, t.counts, t.classificationCount)]));
}

/** One galaxy's tallies; null when it does not exist. */
export async function readGalaxyTallies(db: Queryable, galaxyId: number): Promise<GalaxyTallies | null> {
  return (await readTallies(db, [galaxyId])).get(galaxyId) ?? null;
}
