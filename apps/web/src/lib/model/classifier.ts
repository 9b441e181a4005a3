/**
 * The active model in the browser: its metadata and networks loaded from
 * /api/models/<version>/, and predictions from a decoded galaxy image through the trainer's
 * own preprocessing (@hiwl/model/network), so the page sees the pixels the network was
 * trained on. Importing @hiwl/model/network also registers the DropConnect layer that the
 * saved networks contain, which tf.loadLayersModel needs.
 */
import { HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import {
  METADATA_FILE,
  ModelMetadataSchema,
  NETWORKS,
  networkModelPath,
  predictProbabilities,
  preprocessForInference,
  type ModelMetadata,
  type Networks,
} from "@hiwl/model/network";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

export interface Classifier {
  readonly metadata: ModelMetadata;
  readonly networks: Networks;
}

export interface Prediction {
  /** In HIWL_CLASSES order. */
  probabilities: number[];
  /**
   * The most probable of the five classes: the longest bar the page shows. (The hierarchy's
   * own decision rule, hierarchyDecision, can differ when level 1's merged class wins narrowly.)
   */
  predicted: HiwlClass;
  /** From the decoded image to the probabilities read back from the backend. */
  ms: number;
}

/** A side the warm-up image shares with the cutouts (SDSS cutouts are 423-424 pixels). */
const WARMUP_SIDE = 424;

export async function loadClassifier(baseUrl: string): Promise<Classifier> {
  const response = await fetch(`${baseUrl}${METADATA_FILE}`);
  if (!response.ok) throw new Error(`model metadata: HTTP ${response.status}`);
  const metadata = ModelMetadataSchema.parse(await response.json());
  const networks: Networks = Object.fromEntries(
    await Promise.all(
      NETWORKS[metadata.hierarchy].map(async (level) => [level, await tfl.loadLayersModel(`${baseUrl}${networkModelPath(level)}`)]),
    ),
  );
  const classifier = { metadata, networks };
  // The first run creates the backend's kernels (XNNPACK operators, WebGL shaders); doing it
  // here keeps that cost out of the first galaxy's latency.
  const warmup = tf.zeros([WARMUP_SIDE, WARMUP_SIDE, 3], "int32");
  try {
    await predict(classifier, warmup as tf.Tensor3D);
  } finally {
    warmup.dispose();
  }
  return classifier;
}

export function disposeClassifier(classifier: Classifier): void {
  for (const model of Object.values(classifier.networks)) model.dispose();
}

/** The network input for one image: [1, inputSize, inputSize, 3], preprocessed as in testing. */
export function networkInput(classifier: Classifier, image: ImageBitmap | tf.Tensor3D): tf.Tensor4D {
  const { inputSize, preprocessing } = classifier.metadata;
  return tf.tidy(() => {
    const pixels = image instanceof tf.Tensor ? image : tf.browser.fromPixels(image);
    return preprocessForInference(tf.expandDims(pixels, 0) as tf.Tensor4D, inputSize, preprocessing);
  });
}

export async function predict(classifier: Classifier, image: ImageBitmap | tf.Tensor3D): Promise<Prediction> {
  const start = performance.now();
  const output = tf.tidy(() => predictProbabilities(classifier.metadata.hierarchy, classifier.networks, networkInput(classifier, image)));
  let probabilities: number[];
  try {
    probabilities = Array.from(await output.data());
  } finally {
    output.dispose();
  }
  const best = probabilities.indexOf(Math.max(...probabilities));
  return { probabilities, predicted: HIWL_CLASSES[best]!, ms: performance.now() - start };
}
