/**
 * The active model in the browser: its metadata and networks loaded from
 * /api/models/<version>/, and predictions from a decoded galaxy image through the trainer's
 * own preprocessing (@hiwl/model/network: the cutout the trainer caches, then the test view),
 * so the network sees the bytes it was trained and scored on. Importing @hiwl/model/network also registers the DropConnect layer that the
 * saved networks contain, which tf.loadLayersModel needs.
 */
import { HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import {
  inferenceInput,
  METADATA_FILE,
  ModelMetadataSchema,
  NETWORKS,
  networkModelPath,
  predictProbabilities,
  type DecodedImage,
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
  await predict(classifier, { width: WARMUP_SIDE, height: WARMUP_SIDE, channels: 3, data: new Uint8Array(WARMUP_SIDE * WARMUP_SIDE * 3) });
  return classifier;
}

export function disposeClassifier(classifier: Classifier): void {
  for (const model of Object.values(classifier.networks)) model.dispose();
}

/**
 * An ImageBitmap's RGBA bytes, read back through a canvas. A plain 2D context: one created
 * with willReadFrequently gave Grad-CAM maps 1% away from the trainer's in Chromium
 * (e2e/model.spec.ts), while this one reads back the bytes sharp decodes.
 */
function pixelsOf(image: ImageBitmap): DecodedImage {
  const context = new OffscreenCanvas(image.width, image.height).getContext("2d");
  if (!context) throw new Error("this browser cannot read image pixels (no 2D canvas)");
  context.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, channels: 4, data: context.getImageData(0, 0, image.width, image.height).data };
}

/** The network input for one image: [1, inputSize, inputSize, 3], preprocessed as in testing. */
export function networkInput(classifier: Classifier, image: ImageBitmap | DecodedImage): tf.Tensor4D {
  const { inputSize, preprocessing } = classifier.metadata;
  return inferenceInput(image instanceof ImageBitmap ? pixelsOf(image) : image, inputSize, preprocessing);
}

export async function predict(classifier: Classifier, image: ImageBitmap | DecodedImage): Promise<Prediction> {
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
