/**
 * A model version's feature map for the dashboard: the globally average-pooled backbone
 * features of the galaxies it scored, projected to 2-D with UMAP, one FeaturePoint each.
 *
 * The features are the ones the scoring pass computed (Model.classify with embed), not a
 * second inference. They come from the model's first network (level 1 of the hierarchical
 * model, or the flat one): it sees every class, where level 2 only ever learnt cigar against
 * edge-on.
 */
import { UMAP } from "umap-js";
import { replaceFeatureMap, type Db } from "@hiwl/db";
import { createRng, type Rng } from "@hiwl/model";
import type { OnPhase } from "./scoring.ts";

export const FEATURE_MAP_DEFAULTS = {
  /**
   * Points per map: UMAP's neighbour search and the dashboard's SVG scatter both slow down
   * well before a full catalogue, and a few thousand galaxies already show its structure.
   */
  limit: 3000,
  seed: 0,
} as const;

/** UMAP's neighbour graph needs a few points; fewer make no map. */
const MIN_POINTS = 5;
const NEIGHBOURS = 15;
/** UMAP epochs between progress reports (and yields to the event loop, for the heartbeat). */
const EPOCHS_PER_REPORT = 10;

export interface FeatureMapSample {
  /** At most this many galaxies, a seeded sample when more were scored. */
  limit?: number;
  /** Seeds the sample and UMAP: the same scored galaxies and seed give the same map. */
  seed?: number;
}

export interface FeatureMapSummary {
  points: number;
  /** Galaxies the version scored, of which `points` are on the map. */
  scored: number;
  /** Size of the pooled feature vector. */
  dimensions: number;
}

/** The galaxies, of those scored, whose features go on the map: all, or a seeded sample of `limit`. */
export function featureMapSample(galaxyIds: readonly number[], options: FeatureMapSample = {}): Set<number> {
  const limit = options.limit ?? FEATURE_MAP_DEFAULTS.limit;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`the feature map limit must be an integer >= 0, got ${limit}`);
  const rng = createRng(`feature-map:${options.seed ?? FEATURE_MAP_DEFAULTS.seed}`);
  if (galaxyIds.length <= limit) return new Set(galaxyIds);
  const pool = [...galaxyIds].sort((a, b) => a - b);
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return new Set(pool.slice(0, limit));
}

/**
 * Projects the features of a version's scoring pass (by galaxy id) and stores them as its
 * map, replacing any earlier one. `scored` is how many galaxies the pass scored in all.
 */
export async function buildFeatureMap(
  db: Db,
  modelVersionId: number,
  features: ReadonlyMap<number, readonly number[]>,
  scored: number,
  options: { seed?: number; onPhase?: OnPhase } = {},
): Promise<FeatureMapSummary> {
  const ids = [...features.keys()].sort((a, b) => a - b);
  const vectors = ids.map((id) => [...features.get(id)!]);
  const rng = createRng(`feature-map-umap:${options.seed ?? FEATURE_MAP_DEFAULTS.seed}`);
  const coordinates = ids.length < MIN_POINTS ? [] : await project(vectors, rng, options.onPhase);
  options.onPhase?.("store points", 0, coordinates.length);
  const points = await replaceFeatureMap(
    db,
    modelVersionId,
    coordinates.map(([x, y], i) => ({ galaxyId: ids[i]!, x: x!, y: y! })),
  );
  options.onPhase?.("store points", points, points);
  return { points, scored, dimensions: vectors[0]?.length ?? 0 };
}

async function project(features: number[][], rng: Rng, onPhase: OnPhase | undefined): Promise<number[][]> {
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(NEIGHBOURS, features.length - 1), minDist: 0.1, random: rng });
  const epochs = umap.initializeFit(features);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    umap.step();
    if (epoch % EPOCHS_PER_REPORT === 0 || epoch === epochs) {
      onPhase?.("umap", epoch, epochs);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return umap.getEmbedding();
}
