/**
 * The embedded default catalogue: synthetic galaxies rendered from seeds, stored like any
 * imported galaxy, and optionally classified by simulated volunteers through the same
 * submitClassification a real volunteer's browser ends in.
 */
import { type Db, dataDir, ensureVolunteer, findGalaxyIds, galaxyCounts, insertGalaxies, submitClassification } from "@hiwl/db";
import { mapLimited, storeRgb } from "./images.ts";
import { answerWalk, createRng, createSimulatedVolunteer, expectedClass, generateGalaxy, DEFAULT_SIZE } from "./synthetic/index.ts";

export const SYNTHETIC_SOURCE = "synthetic";

export interface SeedOptions {
  readonly count: number;
  /** Simulated classifications for each voted galaxy. */
  readonly votes?: number;
  /** Share of the galaxies that get votes (the rest wait for volunteers). */
  readonly votedFraction?: number;
  /** Base seed: galaxy i is rendered from "<seed>-<i>", so a catalogue is reproducible. */
  readonly seed?: string;
  /** Size of the simulated crowd the votes are drawn from. */
  readonly crowd?: number;
  readonly onProgress?: (phase: "render" | "database" | "votes", done: number, total: number) => void;
}

export interface SeedResult {
  readonly added: number;
  readonly skipped: number;
  readonly classifications: number;
}

/** The default `npm start` seeds on an empty database. */
export const DEFAULT_SEED: Required<Omit<SeedOptions, "onProgress">> = {
  count: 2000,
  votes: 10,
  votedFraction: 0.3,
  seed: "hiwl",
  crowd: 200,
};

const simulatedVolunteerId = (seed: string, i: number) => `sim-${seed}-${i}`;

export async function seedSynthetic(db: Db, options: SeedOptions, root = dataDir()): Promise<SeedResult> {
  const { count, votes = 0, votedFraction = 1, seed = DEFAULT_SEED.seed, crowd = DEFAULT_SEED.crowd } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got ${count}`);
  if (!Number.isInteger(votes) || votes < 0) throw new Error(`--votes must be a non-negative integer, got ${votes}`);
  if (votes > crowd) throw new Error(`--votes ${votes} exceeds the simulated crowd of ${crowd} volunteers`);

  const ids = Array.from({ length: count }, (_, i) => `${seed}-${i}`);
  const existing = await findGalaxyIds(db, SYNTHETIC_SOURCE, ids);
  const fresh = ids.filter((id) => !existing.has(id));
  const progress = options.onProgress;

  // Rendering is synchronous CPU work; sharp's JPEG encoding runs on libuv threads beside it.
  const rendered = await mapLimited(
    fresh,
    async (id) => {
      const galaxy = generateGalaxy(id);
      const image = await storeRgb(galaxy.rgb, DEFAULT_SIZE, SYNTHETIC_SOURCE, id, root);
      return { id, truth: galaxy.truth, imagePath: image.imagePath };
    },
    (done, total) => progress?.("render", done, total),
  );
  const galaxies = rendered.map((r) => {
    if (!r.ok) throw r.error;
    return r.value;
  });
  progress?.("database", 0, galaxies.length);
  await insertGalaxies(
    db,
    galaxies.map((g) => ({
      source: SYNTHETIC_SOURCE,
      externalId: g.id,
      imagePath: g.imagePath,
      catalogLabel: expectedClass(g.truth),
      metadata: { truth: g.truth },
    })),
    { dataDir: root },
  );
  progress?.("database", galaxies.length, galaxies.length);

  let classifications = 0;
  if (votes > 0) {
    const voted = galaxies.filter((g) => createRng(`voted:${g.id}`)() < votedFraction);
    const galaxyId = await findGalaxyIds(db, SYNTHETIC_SOURCE, voted.map((g) => g.id));
    const volunteers = Array.from({ length: crowd }, (_, i) => createSimulatedVolunteer(simulatedVolunteerId(seed, i)));
    for (const v of volunteers) await ensureVolunteer(db, v.seed, { simulated: true });
    const total = voted.length * votes;
    for (const g of voted) {
      const rng = createRng(`votes:${g.id}`);
      for (const v of pickDistinct(volunteers, votes, rng)) {
        const startedAt = new Date();
        await submitClassification(
          db,
          {
            volunteerId: v.seed,
            galaxyId: galaxyId.get(g.id)!,
            answers: answerWalk(v, g.truth, rng),
            startedAt,
            finishedAt: startedAt,
            userAgent: "hiwl simulated volunteer",
          },
          // Catalogue history, not a live volunteer: no galaxy was handed out, and the worker's
          // first scoring run applies the retirement rules.
          { requireHandout: false, rules: null },
        );
        classifications++;
        progress?.("votes", classifications, total);
      }
    }
  }
  return { added: galaxies.length, skipped: existing.size, classifications };
}

/** Seeds the default catalogue unless the database already holds galaxies. */
export async function seedDefault(db: Db, onProgress?: SeedOptions["onProgress"]): Promise<SeedResult | null> {
  const { total } = await galaxyCounts(db);
  if (total > 0) return null;
  return seedSynthetic(db, { ...DEFAULT_SEED, onProgress });
}

function pickDistinct<T>(items: readonly T[], k: number, rng: () => number): T[] {
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}
