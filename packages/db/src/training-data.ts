/**
 * The trainer's view of the catalogue: every galaxy that has some label — a catalogue label,
 * votes from this platform's volunteers, or vote fractions a catalogue shipped (Kaggle) —
 * with what it needs to turn them into targets (see @hiwl/model/network targets.ts); and the
 * images of all galaxies for scoring runs.
 */
import { chainedFractions, countAnswers } from "@hiwl/model";
import type { Db } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { priorFractionsOf } from "./contracts.ts";
import { crowdReliability, reliabilityWeightedFractions } from "./skills.ts";
import { goldAnswersOf } from "./gold.ts";
import { readTallies, type GalaxyTallies } from "./tallies.ts";

/**
 * How a galaxy's platform votes become its fractions: every counted vote alike (the tallies),
 * or each answer weighted by its volunteer's estimated reliability on the question (skills.ts).
 */
export const VOTE_WEIGHTINGS = ["none", "reliability"] as const;
export type VoteWeighting = (typeof VOTE_WEIGHTINGS)[number];

export interface TrainingGalaxy {
  id: number;
  externalId: string;
  source: string;
  /** Absolute, or relative to HIWL_DATA_DIR. */
  imagePath: string;
  catalogLabel: string | null;
  classificationCount: number;
  /**
   * The 37 cumulative fractions of this platform's votes (weighted as asked), or null without
   * classifications; for a gold-standard galaxy, its expert's walk.
   */
  voteFractions: number[] | null;
  /** The 37 cumulative fractions the catalogue shipped, or null. */
  priorFractions: readonly number[] | null;
}

/**
 * Galaxies with any label, by id, optionally of one source, with their votes (readTallies:
 * each galaxy's tallies match its classificationCount; with "reliability" weighting, the
 * counted classifications weighted by crowdReliability). A galaxy deleted between the reads
 * is left out.
 */
export async function listTrainingGalaxies(
  db: Db,
  options: { source?: string; weighting?: VoteWeighting } = {},
): Promise<TrainingGalaxy[]> {
  const crowd = options.weighting === "reliability" ? await crowdReliability(db) : null;
  const weighted = crowd && reliabilityWeightedFractions(crowd);
  const gold = crowd?.gold ?? new Map((await db.goldStandard.findMany()).map((g) => [g.galaxyId, goldAnswersOf(g)]));
  const galaxies = await db.galaxy.findMany({
    where: {
      OR: [
        { catalogLabel: { not: null } },
        { classificationCount: { gt: 0 } },
        { priorFractions: { not: Prisma.DbNull } },
        { gold: { isNot: null } },
      ],
      ...(options.source === undefined ? {} : { source: options.source }),
    },
    select: { id: true, externalId: true, source: true, imagePath: true, catalogLabel: true, priorFractions: true },
    orderBy: { id: "asc" },
  });
  const tallies = await readTallies(db, galaxies.map((g) => g.id));
  const votesOf = (id: number, t: GalaxyTallies): number[] | null => {
    const expert = gold.get(id);
    if (expert) return chainedFractions(countAnswers([expert]).counts);
    if (t.classificationCount === 0) return null;
    return weighted?.get(id) ?? t.voteFractions;
  };
  return galaxies.flatMap((g) => {
    const t = tallies.get(g.id);
    if (!t) return [];
    return [
      {
        id: g.id,
        externalId: g.externalId,
        source: g.source,
        imagePath: g.imagePath,
        catalogLabel: g.catalogLabel,
        classificationCount: t.classificationCount,
        voteFractions: votesOf(g.id, t),
        priorFractions: priorFractionsOf(g),
      },
    ];
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
