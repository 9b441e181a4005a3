/**
 * Feeding rendered batches to the networks.
 */
import { availableParallelism } from "node:os";
import type { Classification, Model, ViewCount } from "@hiwl/model/inference";
import type { ModelMetadata } from "@hiwl/model/network";
import type { Augmentation } from "@hiwl/model/training";
import { loadExampleCutouts, type Example } from "./dataset.ts";
import { ImagePipeline, type Cutouts } from "./image-pipeline.ts";
import type { TrainHooks } from "./loop.ts";
import { loadModelDir } from "./model-dir.ts";
import { ModelPool, type Classifier } from "./parallel/model-pool.ts";

export const INFERENCE_BATCH = 64;

/**
 * Fewer galaxies than this are classified on this thread: starting the copies of a model
 * (a backend and the networks each) costs about as much as classifying a thousand.
 */
const PARALLEL_FROM = 1024;

/**
 * Runs `run` with the model itself, or, for `galaxies` of at least 1,024 on a machine with
 * more than one core, with copies of it on `workers` worker threads (ModelPool; default: one
 * per core, as the image pipeline's test views cost little beside them), closed afterwards.
 */
export async function withClassifier<T>(
  model: Model,
  galaxies: number,
  run: (classifier: Classifier) => Promise<T>,
  workers = availableParallelism(),
): Promise<T> {
  if (galaxies < PARALLEL_FROM || workers < 2) return run(model);
  const pool = await ModelPool.start(model, workers);
  try {
    return await run(pool);
  } finally {
    await pool.close();
  }
}

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
  augmentationOf: (batch: number) => Augmentation | null,
  consume: (images: Float32Array, batch: number) => Promise<void>,
): Promise<void> {
  const render = (b: number) => pipeline.render(cutouts, batches[b]!, inputSize, augmentationOf(b));
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
function checkFinite(probabilities: readonly (readonly number[])[]): void {
  const bad = probabilities.find((p) => !p.every(Number.isFinite));
  if (bad) {
    throw new Error(
      `the model outputs non-finite probabilities ([${bad.join(", ")}]): its weights hold NaN or infinite values, ` +
        "from a damaged file or a training run that diverged (typically batch-norm statistics that did not settle: train longer or with a lower --lr)",
    );
  }
}

export interface CutoutClassification extends Classification {
  /** Per image, its Monte Carlo dropout samples (one probability vector per pass), when asked for. */
  samples?: number[][][];
}

export interface ClassifyOptions {
  /** Also the pooled features of each image (Model.classify's embed). */
  embed?: boolean;
  /** Monte Carlo dropout passes per image besides the prediction (Model.sample); 0 or absent: none. */
  passes?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Classifies the cutouts at `indices` with a model, in order: the model's own classify() on
 * rendered test views, so every caller gets the same answers (on worker threads too: see
 * withClassifier). Non-finite outputs throw.
 */
export async function classifyCutouts(
  model: Classifier,
  pipeline: ImagePipeline,
  cutouts: Cutouts,
  indices: readonly number[],
  options: ClassifyOptions = {},
): Promise<CutoutClassification> {
  const { inputSize } = model.shape;
  const passes = options.passes ?? 0;
  const probabilities: number[][] = [];
  const predicted: number[] = [];
  const embeddings: number[][] | undefined = options.embed ? [] : undefined;
  const samples: number[][][] | undefined = passes > 0 ? [] : undefined;
  await renderBatches(pipeline, cutouts, chunk(indices, INFERENCE_BATCH), inputSize, () => null, async (images) => {
    const batch = await model.classify(images, { embed: options.embed });
    checkFinite(batch.probabilities);
    probabilities.push(...batch.probabilities);
    predicted.push(...batch.predicted);
    if (embeddings) embeddings.push(...batch.embeddings!);
    if (samples) {
      const runs = await model.sample(images, passes);
      runs.forEach(checkFinite);
      samples.push(...batch.probabilities.map((_, i) => runs.map((run) => run[i]!)));
    }
    options.onProgress?.(predicted.length, indices.length);
  });
  return { probabilities, predicted, ...(embeddings && { embeddings }), ...(samples && { samples }) };
}

/**
 * Classifies galaxies with the model saved in `dir`, with its own test views or `views`: what
 * `hiwl evaluate` scores, and bench:ablation's other view count. Cutouts are cached under `dataDir`.
 */
export async function classifyWithModelDir(
  dir: string,
  galaxies: readonly Pick<Example, "galaxyId" | "imagePath">[],
  dataDir: string,
  { views, onPhase }: { views?: ViewCount; onPhase?: TrainHooks["onPhase"] } = {},
): Promise<{ metadata: ModelMetadata; classified: CutoutClassification }> {
  const model = await loadModelDir(dir, views);
  const pipeline = await ImagePipeline.start();
  try {
    const cutouts = await loadExampleCutouts(galaxies, model.metadata.inputSize, dataDir, (done, total) => onPhase?.("cutouts", done, total));
    const classified = await withClassifier(model, galaxies.length, (classifier) =>
      classifyCutouts(classifier, pipeline, cutouts, galaxies.map((_, i) => i), { onProgress: (done, total) => onPhase?.("classify", done, total) }),
    );
    return { metadata: model.metadata, classified };
  } finally {
    model.dispose();
    await pipeline.close();
  }
}
