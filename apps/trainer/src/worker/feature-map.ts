/**
 * A model version's feature map for the dashboard: the globally average-pooled backbone
 * features of the galaxies it scored, projected to 2-D with UMAP, one FeaturePoint each.
 *
 * The features come from the model's first network (level 1 of the hierarchical model, or the
 * flat one): it sees every class, where level 2 only ever learnt cigar against edge-on.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { UMAP } from "umap-js";
import { replaceFeatureMap, scoredGalaxies, type Db } from "@hiwl/db";
import { createRng, type Rng } from "@hiwl/model";
import { EFFICIENTNET_LAYERS, type Level } from "@hiwl/model/network";
import { predictRows } from "@hiwl/model/training";
import { loadExampleCutouts } from "../training/dataset.ts";
import { chunk, INFERENCE_BATCH, renderBatches } from "../training/evaluate.ts";
import type { ImagePipeline } from "../training/image-pipeline.ts";
import { disposeModel, loadModelDir } from "../training/model-dir.ts";
import { SCORING_CHUNK, type OnPhase } from "./scoring.ts";

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

export interface FeatureMapOptions {
  /** For the cutout cache; image paths are relative to it. */
  dataDir: string;
  /** At most this many galaxies, a seeded sample when more were scored. */
  limit?: number;
  /** Seeds the sample and UMAP: the same scored galaxies and seed give the same map. */
  seed?: number;
  onPhase?: OnPhase;
}

export interface FeatureMapSummary {
  points: number;
  /** Galaxies the version scored, of which `points` are on the map. */
  scored: number;
  /** Size of the pooled feature vector. */
  dimensions: number;
  level: Level;
}

/**
 * Builds and stores the map of a model version from the galaxies it has predictions for,
 * replacing any earlier map of that version. The model is loaded afresh from `modelDir`: the
 * scorer's copy may have MC dropout switched on, which would make the features random.
 */
export async function buildFeatureMap(
  db: Db,
  modelDir: string,
  modelVersionId: number,
  pipeline: ImagePipeline,
  options: FeatureMapOptions,
): Promise<FeatureMapSummary> {
  const limit = options.limit ?? FEATURE_MAP_DEFAULTS.limit;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`the feature map limit must be an integer >= 0, got ${limit}`);
  const rng = createRng(`feature-map:${options.seed ?? FEATURE_MAP_DEFAULTS.seed}`);
  const scored = await scoredGalaxies(db, modelVersionId);
  const galaxies = sample(scored, limit, rng);
  const model = await loadModelDir(modelDir);
  try {
    const level = model.set.networks(model.metadata.hierarchy)[0]!;
    const network = model.networks[level]!;
    const pooled = tfl.model({
      inputs: network.inputs,
      outputs: network.getLayer(EFFICIENTNET_LAYERS.features).output as tfl.SymbolicTensor,
    });
    const features = await pooledFeatures(pooled, pipeline, galaxies, model.metadata.inputSize, options);
    const dimensions = pooled.outputs[0]!.shape[1]!;
    const coordinates = galaxies.length < MIN_POINTS ? [] : await project(features, rng, options.onPhase);
    options.onPhase?.("store points", 0, coordinates.length);
    const points = await replaceFeatureMap(
      db,
      modelVersionId,
      coordinates.map(([x, y], i) => ({ galaxyId: galaxies[i]!.id, x: x!, y: y! })),
    );
    options.onPhase?.("store points", points, points);
    return { points, scored: scored.length, dimensions, level };
  } finally {
    disposeModel(model);
  }
}

/** `limit` of the galaxies drawn without replacement, in id order; all of them when they are fewer. */
function sample<T extends { id: number }>(galaxies: readonly T[], limit: number, rng: Rng): T[] {
  if (galaxies.length <= limit) return [...galaxies];
  const pool = [...galaxies];
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, limit).sort((a, b) => a.id - b.id);
}

/** Galaxies decoded and rendered chunk by chunk, as scoring does, through the pooling layer. */
async function pooledFeatures(
  pooled: tfl.LayersModel,
  pipeline: ImagePipeline,
  galaxies: readonly { id: number; imagePath: string }[],
  inputSize: number,
  options: FeatureMapOptions,
): Promise<number[][]> {
  const out: number[][] = [];
  for (const part of chunk(galaxies, SCORING_CHUNK)) {
    const examples = part.map((g) => ({ galaxyId: g.id, imagePath: g.imagePath }));
    const cutouts = await loadExampleCutouts(examples, inputSize, options.dataDir, (d, t) => options.onPhase?.("decode", d, t));
    const batches = chunk(
      part.map((_, i) => i),
      INFERENCE_BATCH,
    );
    await renderBatches(pipeline, cutouts, batches, inputSize, () => null, async (images) => {
      out.push(...(await predictRows(pooled, images)));
      options.onPhase?.("features", out.length, galaxies.length);
    });
  }
  return out;
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
