/**
 * A trained model as every caller uses it, in the spirit of tfjs-models: load() gives one
 * object whose classify() turns network inputs into class probabilities and a decided class,
 * and whose embed() gives the pooled backbone features. The browser, `hiwl predict`, the
 * worker's scoring, the test metrics and the feature map all go through it, so a galaxy gets
 * the same answer wherever it is shown.
 *
 * One decision rule: the class with the highest probability (decide()), the longest bar on
 * the page. For the hierarchical model the probabilities are P1 for the unmerged classes and
 * P1(merged) x P2 for cigar and edge-on (combineHierarchy). Predictions come from the
 * deterministic network; Monte Carlo dropout passes (sample()) only measure uncertainty for
 * the active-learning queue. A model with 8 views averages each image's rotations and flips
 * (views.ts). Every probability out of it is calibrated with the model's temperature
 * (calibration.ts), which never changes the decided class.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { DropConnect, EFFICIENTNET_LAYERS } from "../network/efficientnet.ts";
import { loadModelFromFiles, METADATA_FILE, ModelMetadataSchema, networkModelPath, type ModelFiles, type ModelMetadata } from "../network/export.ts";
import type { Level } from "../labels/hierarchy.ts";
import { combineHierarchy, type Networks } from "../network/combine.ts";
import { argmax, classSetOf, type ClassSet } from "../labels/class-sets.ts";
import { calibrate } from "./calibration.ts";
import { dihedralViews, meanOverViews } from "./views.ts";

/** What a model needs to know about itself to run: its classes, hierarchy, input size and calibration. */
export type ModelShape = Pick<ModelMetadata, "classes" | "hierarchy" | "inputSize" | "temperature" | "views">;

/** Images ready for the network: a [N, inputSize, inputSize, 3] tensor, or the same values flat. */
export type NetworkInput = tf.Tensor4D | Float32Array;

export interface Classification {
  /** Per image, the probability of each of the model's classes, in their order. */
  probabilities: number[][];
  /** Per image, the decided class: an index into the model's classes (decide()). */
  predicted: number[];
  /** Per image, the pooled features of the first network, when asked for (classify(..., { embed: true })). */
  embeddings?: number[][];
}

export interface Model {
  readonly shape: ModelShape;
  /** Present for a model loaded from a version directory or URL. */
  readonly metadata: ModelMetadata | null;
  readonly set: ClassSet;
  readonly classes: readonly string[];
  /** The tfjs networks, for what needs their layers (Grad-CAM). */
  readonly networks: Networks;
  classify(images: NetworkInput, options?: { embed?: boolean }): Promise<Classification>;
  /** The pooled backbone features of the first network (the one that sees every class). */
  embed(images: NetworkInput): Promise<number[][]>;
  /**
   * `passes` Monte Carlo dropout samples of the probabilities: dropout and drop-connect run as
   * in training, everything else (batch normalisation) as in inference. One entry per pass,
   * each with one row per image. Throws for a model without dropout.
   */
  sample(images: NetworkInput, passes: number): Promise<number[][][]>;
  dispose(): void;
}

/** THE decision rule: the most probable class (the first on ties). */
export const decide = (probabilities: readonly number[]): number => argmax(probabilities);

/** A model from networks already in memory (a training run's best epochs, a loaded version). */
export function createModel(shape: ModelShape, networks: Networks, metadata: ModelMetadata | null = null): Model {
  const set = classSetOf(shape.classes);
  const levels = set.networks(shape.hierarchy);
  const network = (level: Level) => {
    const model = networks[level];
    if (!model) throw new Error(`the ${shape.hierarchy} model needs a ${level} network`);
    return model;
  };
  levels.forEach(network);
  const first = network(levels[0]!);
  // One pass of the first network gives both its probabilities and its pooled features.
  const firstWithFeatures = tfl.model({
    inputs: first.inputs,
    outputs: [first.outputs[0]!, first.getLayer(EFFICIENTNET_LAYERS.features).output as tfl.SymbolicTensor],
  });
  const stochastic = stochasticLayers(levels.map(network));
  let sampling = false;
  for (const layer of stochastic) {
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => call(inputs, sampling ? { ...kwargs, training: true } : kwargs);
  }

  const tensorOf = (images: NetworkInput): tf.Tensor4D => {
    if (!(images instanceof Float32Array)) return images;
    const pixels = shape.inputSize * shape.inputSize * 3;
    if (images.length % pixels !== 0) throw new Error(`${images.length} values are not whole ${shape.inputSize}x${shape.inputSize}x3 images`);
    return tf.tensor4d(images, [images.length / pixels, shape.inputSize, shape.inputSize, 3]);
  };

  const temperature = shape.temperature ?? 1;
  const calibrated = (rows: number[][]) => (temperature === 1 ? rows : rows.map((p) => calibrate(p, temperature)));

  const views = shape.views ?? 1;
  /** Probabilities [N, classes] (before calibration) and the first network's features [N, F], each the mean over the model's views. */
  const forward = (x: tf.Tensor4D): [tf.Tensor2D, tf.Tensor2D] =>
    tf.tidy(() => {
      const input = dihedralViews(x, views);
      const [p1, features] = firstWithFeatures.predict(input) as [tf.Tensor2D, tf.Tensor2D];
      const probabilities = shape.hierarchy === "flat" ? p1 : combineHierarchy(p1, network("level2").predict(input) as tf.Tensor2D);
      return [meanOverViews(probabilities, views), meanOverViews(features, views)];
    });

  const withInput = async <T>(images: NetworkInput, run: (x: tf.Tensor4D) => Promise<T>): Promise<T> => {
    const x = tensorOf(images);
    try {
      return await run(x);
    } finally {
      if (x !== images) x.dispose();
    }
  };

  return {
    shape,
    metadata,
    set,
    classes: set.classes,
    networks,
    classify: (images, options = {}) =>
      withInput(images, async (x) => {
        const [probs, features] = forward(x);
        try {
          const probabilities = calibrated(await probs.array());
          const embeddings = options.embed ? await features.array() : undefined;
          return { probabilities, predicted: probabilities.map(decide), ...(embeddings && { embeddings }) };
        } finally {
          tf.dispose([probs, features]);
        }
      }),
    embed: (images) =>
      withInput(images, async (x) => {
        const [probs, features] = forward(x);
        try {
          return await features.array();
        } finally {
          tf.dispose([probs, features]);
        }
      }),
    sample: (images, passes) =>
      withInput(images, async (x) => {
        if (!Number.isInteger(passes) || passes < 1) throw new Error(`passes must be an integer >= 1, got ${passes}`);
        if (stochastic.length === 0) throw new Error("the model has no dropout layers: Monte Carlo passes would all be the same");
        const runs: number[][][] = [];
        sampling = true;
        try {
          for (let pass = 0; pass < passes; pass++) {
            const [probs, features] = forward(x);
            try {
              runs.push(calibrated(await probs.array()));
            } finally {
              tf.dispose([probs, features]);
            }
          }
        } finally {
          sampling = false;
        }
        return runs;
      }),
    dispose() {
      for (const level of levels) networks[level]?.dispose();
    },
  };
}

type Layer = tfl.LayersModel["layers"][number];

/** The layers that drop at random in training: dropout, and drop-connect's stochastic depth. */
function stochasticLayers(networks: readonly tfl.LayersModel[]): Layer[] {
  return networks.flatMap((n) => n.layers.filter((layer) => layer instanceof DropConnect || layer.getClassName() === "Dropout"));
}

/**
 * A model version: from its URL (the browser: metadata.json, then each network's model.json,
 * as /api/models/<version>/ serves them) or from files already read (Node: the trainer reads
 * the version directory).
 */
export async function load(
  source: { url: string } | { metadata: ModelMetadata; files: Partial<Record<Level, ModelFiles>> },
): Promise<Model> {
  if ("url" in source) {
    const response = await fetch(`${source.url}${METADATA_FILE}`);
    if (!response.ok) throw new Error(`model metadata: HTTP ${response.status}`);
    const metadata = ModelMetadataSchema.parse(await response.json());
    const levels = classSetOf(metadata.classes).networks(metadata.hierarchy);
    const networks: Networks = Object.fromEntries(
      await Promise.all(levels.map(async (level) => [level, await tfl.loadLayersModel(`${source.url}${networkModelPath(level)}`)] as const)),
    );
    return createModel(metadata, networks, metadata);
  }
  const { metadata, files } = source;
  const networks: Networks = {};
  for (const level of classSetOf(metadata.classes).networks(metadata.hierarchy)) {
    const levelFiles = files[level];
    if (!levelFiles) throw new Error(`model ${metadata.version} has no ${level} network files`);
    networks[level] = await loadModelFromFiles(levelFiles);
  }
  return createModel(metadata, networks, metadata);
}
