/**
 * The labelled galaxies of a run, their class in the run's class set, the 80/10/10 split and
 * their decoded cutouts.
 */
import { createHash } from "node:crypto";
import { buildCutoutCache, loadCutouts } from "@hiwl/catalog";
import { listTrainingGalaxies, type Db } from "@hiwl/db";
import { createRng, CLASS_SETS, type ClassSet, type GalaxyEvidence } from "@hiwl/model";
import { cutoutSide } from "@hiwl/model/network";
import { shuffledEpoch, stratifiedSplit, type Split } from "@hiwl/model/training";
import type { TrainConfig } from "./config.ts";

export interface Example extends GalaxyEvidence {
  galaxyId: number;
  source: string;
  imagePath: string;
  /** Index in the class set's classes, or null (usable only by "votes" targets). */
  cls: number | null;
}

export interface Dataset {
  set: ClassSet;
  examples: Example[];
  split: Split;
  /** Identifies the examples, their classes and the split: a resumed run must see the same. */
  fingerprint: string;
}

export type DatasetOptions = Pick<TrainConfig, "classes" | "targets" | "source" | "limit" | "splitSeed"> &
  Partial<Pick<TrainConfig, "voteWeighting">>;

/**
 * Galaxies with a class in the class set, plus, for "votes" targets, galaxies with votes but no
 * class. A galaxy's votes are its expert's walk where it is gold, else this platform's where it
 * has classifications (weighted as `voteWeighting` says; runs recorded before it existed: none),
 * else the ones its catalogue shipped.
 */
export async function loadDataset(db: Db, options: DatasetOptions): Promise<Dataset> {
  const set = CLASS_SETS[options.classes];
  const galaxies = await listTrainingGalaxies(db, {
    ...(options.source === null ? {} : { source: options.source }),
    weighting: options.voteWeighting ?? "none",
  });
  let examples: Example[] = galaxies.flatMap((g) => {
    const evidence: GalaxyEvidence = { catalogLabel: g.catalogLabel, votes: g.voteFractions ?? g.priorFractions };
    const cls = set.classOf(evidence);
    if (cls === null && !(options.targets === "votes" && evidence.votes)) return [];
    return [{ ...evidence, galaxyId: g.id, source: g.source, imagePath: g.imagePath, cls }];
  });
  if (options.limit !== null && examples.length > options.limit) {
    const keep = shuffledEpoch(examples.length, createRng(`limit:${options.splitSeed}`))
      .slice(0, options.limit)
      .sort((a, b) => a - b);
    examples = keep.map((i) => examples[i]!);
  }
  const split = stratifiedSplit(examples.map((e) => e.cls), options.splitSeed);
  const fingerprint = createHash("sha256")
    .update(JSON.stringify({ examples: examples.map((e) => [e.galaxyId, e.cls]), split }))
    .digest("hex")
    .slice(0, 16);
  return { set, examples, split, fingerprint };
}

/** Hash of a subset's galaxy ids: equal hashes mean two models were tested on the same galaxies. */
export function galaxySetHash(examples: readonly Example[]): string {
  return createHash("sha256")
    .update(examples.map((e) => e.galaxyId).join(","))
    .digest("hex")
    .slice(0, 16);
}

/** Decodes missing cutouts into the cache once, then loads them as one [N, side, side, 3] array. */
export async function loadExampleCutouts(
  examples: readonly Pick<Example, "galaxyId" | "imagePath">[],
  inputSize: number,
  dataDir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ pixels: Uint8Array; side: number }> {
  const side = cutoutSide(inputSize);
  await buildCutoutCache(
    examples.map((e) => ({ id: e.galaxyId, imagePath: e.imagePath })),
    side,
    onProgress,
    dataDir,
  );
  return { pixels: await loadCutouts(examples.map((e) => e.galaxyId), side, dataDir), side };
}
