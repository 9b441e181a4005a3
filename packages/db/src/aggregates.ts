/**
 * Whole-table reads for the researcher dashboard and the CSV exports: the vote fractions of
 * every classified galaxy, each galaxy's latest prediction, and how many volunteers there are.
 */
import { cumulativeFractions, selectClass, type HiwlClass } from "@hiwl/model";
import type { Db } from "./client.ts";
import type { Prediction, Prisma } from "./generated/prisma/client.ts";

export interface GalaxyVoteFractions {
  galaxyId: number;
  externalId: string;
  classificationCount: number;
  retired: boolean;
  /** The 37 cumulative (Kaggle convention) fractions in ANSWER_IDS order. */
  voteFractions: number[];
}

/**
 * Every galaxy with at least one classification (or only those of `galaxyIds`), by id, with
 * its vote fractions; `retired` keeps only retired (true) or active (false) ones.
 */
export async function listVoteFractions(
  db: Db,
  options: { retired?: boolean; galaxyIds?: readonly number[] } = {},
): Promise<GalaxyVoteFractions[]> {
  const where: Prisma.GalaxyWhereInput = {
    classificationCount: { gt: 0 },
    ...(options.retired === undefined ? {} : { retiredAt: options.retired ? { not: null } : null }),
    ...(options.galaxyIds === undefined ? {} : { id: { in: [...options.galaxyIds] } }),
  };
  // One transaction: a classification stored between the two reads would otherwise leave
  // tallies ahead of the count (fractions above 1).
  const [galaxies, tallies] = await db.$transaction([
    db.galaxy.findMany({ where, select: { id: true, externalId: true, classificationCount: true, retiredAt: true }, orderBy: { id: "asc" } }),
    db.voteTally.findMany({ where: { galaxy: where }, select: { galaxyId: true, answerId: true, count: true } }),
  ]);
  const counts = new Map<number, Record<string, number>>();
  for (const t of tallies) {
    const c = counts.get(t.galaxyId) ?? {};
    c[t.answerId] = t.count;
    counts.set(t.galaxyId, c);
  }
  return galaxies.map((g) => ({
    galaxyId: g.id,
    externalId: g.externalId,
    classificationCount: g.classificationCount,
    retired: g.retiredAt !== null,
    voteFractions: cumulativeFractions(counts.get(g.id) ?? {}, g.classificationCount),
  }));
}

/** Consensus of the volunteers: a class, "none" (votes, but no class passes its rules) or null (no votes). */
export type Consensus = HiwlClass | "none" | null;

export const consensusOf = (g: Pick<GalaxyVoteFractions, "voteFractions">): Exclude<Consensus, null> =>
  selectClass(g.voteFractions) ?? "none";

/** The consensus of each galaxy of `galaxyIds` (or of every classified galaxy); unclassified ones are absent. */
export async function consensusById(
  db: Db,
  options: { retired?: boolean; galaxyIds?: readonly number[] } = {},
): Promise<Map<number, Exclude<Consensus, null>>> {
  const votes = await listVoteFractions(db, options);
  return new Map(votes.map((v) => [v.galaxyId, consensusOf(v)]));
}

/** Each galaxy's most recent prediction (whichever model version made it), by galaxy id. */
export function latestPredictions(db: Db): Promise<Prediction[]> {
  return db.prediction.findMany({
    distinct: ["galaxyId"],
    orderBy: [{ galaxyId: "asc" }, { createdAt: "desc" }, { id: "desc" }],
  });
}

/** Real (not simulated) volunteers: all who have an identity, and those who classified. */
export async function countVolunteers(db: Db): Promise<{ total: number; classifying: number }> {
  const [total, classifying] = await Promise.all([
    db.volunteer.count({ where: { simulated: false } }),
    db.volunteer.count({ where: { simulated: false, classifications: { some: {} } } }),
  ]);
  return { total, classifying };
}

/** Rows the two CSV exports would have: galaxies with votes, galaxies with a prediction. */
export async function exportSizes(db: Db): Promise<{ votes: number; predictions: number }> {
  const [votes, predictions] = await Promise.all([
    db.galaxy.count({ where: { classificationCount: { gt: 0 } } }),
    db.galaxy.count({ where: { predictions: { some: {} } } }),
  ]);
  return { votes, predictions };
}
