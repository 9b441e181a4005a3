/**
 * Vote fractions and the consensus they give, and the whole-table reads for the researcher
 * dashboard and the CSV exports.
 */
import { classDistribution, HIWL_CLASSES, selectClass, type HiwlClass } from "@hiwl/model";
import type { Db } from "./client.ts";
import type { ModelVersion, Prediction, Prisma } from "./generated/prisma/client.ts";
import { readTallies } from "./tallies.ts";

export interface GalaxyVoteFractions {
  galaxyId: number;
  /** The galaxy's catalogue identity: its source and its identifier there. */
  source: string;
  externalId: string;
  classificationCount: number;
  retired: boolean;
  /** The 37 cumulative (Kaggle convention) fractions in ANSWER_IDS order. */
  voteFractions: number[];
}

/**
 * Every galaxy with at least one classification (or only those of `galaxyIds`, or of
 * `source`), by id, with its vote fractions; `retired` keeps only retired (true) or active
 * (false) ones.
 */
export async function listVoteFractions(
  db: Db,
  options: { retired?: boolean; galaxyIds?: readonly number[]; source?: string } = {},
): Promise<GalaxyVoteFractions[]> {
  const where: Prisma.GalaxyWhereInput = {
    classificationCount: { gt: 0 },
    ...(options.retired === undefined ? {} : { retiredAt: options.retired ? { not: null } : null }),
    ...(options.galaxyIds === undefined ? {} : { id: { in: [...options.galaxyIds] } }),
    ...(options.source === undefined ? {} : { source: options.source }),
  };
  const galaxies = await db.galaxy.findMany({ where, select: { id: true, source: true, externalId: true, retiredAt: true }, orderBy: { id: "asc" } });
  const tallies = await readTallies(db, galaxies.map((g) => g.id));
  // The count and fractions are the tallies' own (one statement); a galaxy deleted between the
  // two reads is left out.
  return galaxies.flatMap((g) => {
    const t = tallies.get(g.id);
    return t
      ? [{ galaxyId: g.id, source: g.source, externalId: g.externalId, classificationCount: t.classificationCount, retired: g.retiredAt !== null, voteFractions: t.voteFractions }]
      : [];
  });
}

/** Consensus of the volunteers: a class, "none" (votes, but no class passes its rules) or null (no votes). */
export type Consensus = HiwlClass | "none" | null;

export const CONSENSUS_VALUES = [...HIWL_CLASSES, "none"] as const;

/** What Galaxy.consensus and Galaxy.consensusShare hold for a galaxy with votes. */
export interface StoredConsensus {
  consensus: Exclude<Consensus, null>;
  /** The consensus class's share of the five-class crowd distribution; null for "none". */
  consensusShare: number | null;
}

/** The consensus the volunteers' fractions give, with its share, as the galaxy row stores them. */
export function consensusOf(voteFractions: readonly number[]): StoredConsensus {
  const consensus = selectClass(voteFractions);
  if (consensus === null) return { consensus: "none", consensusShare: null };
  // A class passes its thresholds only with smooth or disk votes, so the distribution exists.
  return { consensus, consensusShare: classDistribution(voteFractions)?.[consensus] ?? null };
}

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

export type IdentifiedPrediction = Prediction & { galaxy: { source: string; externalId: string } };

/**
 * The active model version and its predictions (optionally of one source's galaxies), by
 * galaxy id, each with its galaxy's catalogue identity; none before the first model.
 */
export async function activePredictions(
  db: Db,
  options: { source?: string } = {},
): Promise<{ modelVersion: ModelVersion | null; predictions: IdentifiedPrediction[] }> {
  const modelVersion = await db.modelVersion.findFirst({ where: { active: true } });
  if (!modelVersion) return { modelVersion, predictions: [] };
  const predictions = await db.prediction.findMany({
    // This version's, read by id: a switch meanwhile cannot mix two versions in one file.
    where: { modelVersionId: modelVersion.id, ...(options.source === undefined ? {} : { galaxy: { source: options.source } }) },
    include: { galaxy: { select: { source: true, externalId: true } } },
    orderBy: { galaxyId: "asc" },
  });
  return { modelVersion, predictions };
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
