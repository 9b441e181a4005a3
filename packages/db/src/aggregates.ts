/**
 * Vote fractions and the consensus they give, and the whole-table reads for the researcher
 * dashboard and the CSV exports.
 */
import { cumulativeFractions, HIWL_CLASSES, selectClass, type HiwlClass } from "@hiwl/model";
import type { Db } from "./client.ts";
import type { Prediction, Prisma, VoteTally } from "./generated/prisma/client.ts";

export interface GalaxyVoteFractions {
  galaxyId: number;
  externalId: string;
  classificationCount: number;
  retired: boolean;
  /** The 37 cumulative (Kaggle convention) fractions in ANSWER_IDS order. */
  voteFractions: number[];
}

/** A galaxy's 37 cumulative fractions from its tally rows. */
export function fractionsOfTallies(tallies: readonly Pick<VoteTally, "answerId" | "count">[], classificationCount: number): number[] {
  return cumulativeFractions(Object.fromEntries(tallies.map((t) => [t.answerId, t.count])), classificationCount);
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
  const byGalaxy = new Map<number, typeof tallies>();
  for (const t of tallies) {
    const list = byGalaxy.get(t.galaxyId);
    if (list) list.push(t);
    else byGalaxy.set(t.galaxyId, [t]);
  }
  return galaxies.map((g) => ({
    galaxyId: g.id,
    externalId: g.externalId,
    classificationCount: g.classificationCount,
    retired: g.retiredAt !== null,
    voteFractions: fractionsOfTallies(byGalaxy.get(g.id) ?? [], g.classificationCount),
  }));
}

/** Consensus of the volunteers: a class, "none" (votes, but no class passes its rules) or null (no votes). */
export type Consensus = HiwlClass | "none" | null;

export const CONSENSUS_VALUES = [...HIWL_CLASSES, "none"] as const;

export const consensusOf = (g: Pick<GalaxyVoteFractions, "voteFractions">): Exclude<Consensus, null> =>
  selectClass(g.voteFractions) ?? "none";

/** A stored Galaxy.consensus, typed (null for anything else). */
export const storedConsensus = (value: string | null): Consensus =>
  (CONSENSUS_VALUES as readonly string[]).includes(value ?? "") ? (value as Exclude<Consensus, null>) : null;

/** How many galaxies have each stored consensus (galaxies without votes are not counted). */
export async function consensusBalance(db: Db): Promise<Record<Exclude<Consensus, null>, number>> {
  const groups = await db.galaxy.groupBy({ by: ["consensus"], where: { consensus: { not: null } }, _count: { _all: true } });
  const balance = Object.fromEntries(CONSENSUS_VALUES.map((c) => [c, 0])) as Record<Exclude<Consensus, null>, number>;
  for (const g of groups) {
    const c = storedConsensus(g.consensus);
    if (c) balance[c] += g._count._all;
  }
  return balance;
}

/** The active model version's predictions, by galaxy id (none before the first model). */
export function activePredictions(db: Db): Promise<Prediction[]> {
  return db.prediction.findMany({ where: { modelVersion: { active: true } }, orderBy: { galaxyId: "asc" } });
}

/** Real (not simulated) volunteers: all who have an identity, and those who classified. */
export async function countVolunteers(db: Db): Promise<{ total: number; classifying: number }> {
  const [total, classifying] = await Promise.all([
    db.volunteer.count({ where: { simulated: false } }),
    db.volunteer.count({ where: { simulated: false, classifications: { some: {} } } }),
  ]);
  return { total, classifying };
}

/** Rows the two CSV exports would have: galaxies with votes, galaxies the active model scored. */
export async function exportSizes(db: Db): Promise<{ votes: number; predictions: number }> {
  const [votes, predictions] = await Promise.all([
    db.galaxy.count({ where: { classificationCount: { gt: 0 } } }),
    db.prediction.count({ where: { modelVersion: { active: true } } }),
  ]);
  return { votes, predictions };
}
