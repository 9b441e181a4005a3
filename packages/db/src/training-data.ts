/**
 * The trainer's view of the catalogue: every galaxy that has some label — a catalogue label,
 * votes from this platform's volunteers, or vote fractions a catalogue shipped (Kaggle) —
 * with what it needs to turn them into targets (see @hiwl/model/network targets.ts); and the
 * images of all galaxies for scoring runs.
 */
import type { Db } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { priorFractionsOf } from "./contracts.ts";
import { readTallies } from "./tallies.ts";

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
  priorFractions: readonly number[] | null;
}

/**
 * Galaxies with any label, by id, optionally of one source, with their votes (readTallies:
 * each galaxy's tallies match its classificationCount). A galaxy deleted between the two
 * reads is left out.
 */
export async function listTrainingGalaxies(db: Db, options: { source?: string } = {}): Promise<TrainingGalaxy[]> {
  const galaxies = await db.galaxy.findMany({
    where: {
      OR: [{ catalogLabel: { not: null } }, { classificationCount: { gt: 0 } }, { priorFractions: { not: Prisma.DbNull } }],
      ...(options.source === undefined ? {} : { source: options.source }),
    },
    select: { id: true, externalId: true, source: true, imagePath: true, catalogLabel: true, priorFractions: true },
    orderBy: { id: "asc" },
  });
  const tallies = await readTallies(db, galaxies.map((g) => g.id));
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
        voteFractions: t.classificationCount > 0 ? t.voteFractions : null,
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
