/**
 * Feeding rendered batches to the networks.
 */
import type { HierarchyMode } from "@hiwl/model/network";
import { classifyImages, type Classified, type ClassSet, type LevelModels } from "@hiwl/model/training";
import type { Cutouts, ImagePipeline } from "./image-pipeline.ts";

export const INFERENCE_BATCH = 64;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Renders each batch of cutout indices on the image worker, one batch ahead of `consume`, so
 * the worker prepares batch b+1 while batch b trains or is classified.
 */
export async function renderBatches(
  pipeline: ImagePipeline,
  cutouts: Cutouts,
  batches: readonly (readonly number[])[],
  inputSize: number,
  seedOf: (batch: number) => string | null,
  consume: (images: Float32Array, batch: number) => Promise<void>,
): Promise<void> {
  const render = (b: number) => pipeline.render(cutouts, batches[b]!, inputSize, seedOf(b));
  let next = batches.length > 0 ? render(0) : null;
  for (let b = 0; b < batches.length; b++) {
    const images = await next!;
    next = b + 1 < batches.length ? render(b + 1) : null;
    await consume(images, b);
  }
}

/**
 * Refuses what a damaged or diverged model gives: NaN or infinite probabilities would
 * otherwise be stored, written to CSVs and shown as numbers.
 */
export function checkFinite(batch: Classified): Classified {
  const bad = batch.probabilities.findIndex((p) => !p.every(Number.isFinite));
  if (bad >= 0) {
    throw new Error(
      `the model outputs non-finite probabilities ([${batch.probabilities[bad]!.join(", ")}]): its weights hold NaN or infinite values, ` +
        "from a damaged file or a training run that diverged (typically batch-norm statistics that did not settle: train longer or with a lower --lr)",
    );
  }
  return batch;
}

/** Classifies the cutouts at `indices` with a model's networks, in order; non-finite outputs throw (checkFinite). */
export async function classifyCutouts(
  set: ClassSet,
  mode: HierarchyMode,
  networks: LevelModels,
  pipeline: ImagePipeline,
  cutouts: Cutouts,
  indices: readonly number[],
  inputSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Classified> {
  const out: Classified = { probabilities: [], decisions: [] };
  await renderBatches(pipeline, cutouts, chunk(indices, INFERENCE_BATCH), inputSize, () => null, async (images) => {
    const batch = checkFinite(await classifyImages(set, mode, networks, images, inputSize));
    out.probabilities.push(...batch.probabilities);
    out.decisions.push(...batch.decisions);
    onProgress?.(out.decisions.length, indices.length);
  });
  return out;
}
