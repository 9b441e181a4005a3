/**
 * The active model in the browser: the model API of @hiwl/model/inference loaded from
 * /api/models/<version>/, fed a decoded galaxy image through the trainer's own preprocessing
 * (the cutout the trainer caches, then the test view), so the network sees the bytes it was
 * trained and scored on and the page shows the class the gallery and `hiwl predict` show.
 * Importing @hiwl/model/network also registers the DropConnect layer that the saved networks
 * contain, which tf.loadLayersModel needs.
 */
import { HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import { load, type Model } from "@hiwl/model/inference";
import { inferenceInput, type DecodedImage, type ModelMetadata } from "@hiwl/model/network";
import type * as tf from "@tensorflow/tfjs-core";

/** A model loaded from its URL, which always has its metadata. */
export type Classifier = Model & { readonly metadata: ModelMetadata };

export interface Prediction {
  /** In HIWL_CLASSES order. */
  probabilities: number[];
  /** The model's decision: its most probable class, the longest bar the page shows. */
  predicted: HiwlClass;
  /** From the decoded image to the probabilities read back from the backend. */
  ms: number;
}

/** A side the warm-up image shares with the cutouts (SDSS cutouts are 423-424 pixels). */
const WARMUP_SIDE = 424;

export async function loadClassifier(baseUrl: string): Promise<Classifier> {
  const model = await load({ url: baseUrl });
  if (!model.metadata) throw new Error(`${baseUrl} has no metadata`);
  if (model.set.name !== "hiwl") throw new Error(`the site shows the five HIWL classes; this model predicts ${model.classes.join(", ")}`);
  const classifier = model as Classifier;
  // The first run creates the backend's kernels (XNNPACK operators, WebGL shaders); doing it
  // here keeps that cost out of the first galaxy's latency.
  await predict(classifier, { width: WARMUP_SIDE, height: WARMUP_SIDE, channels: 3, data: new Uint8Array(WARMUP_SIDE * WARMUP_SIDE * 3) });
  return classifier;
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
  const x = networkInput(classifier, image);
  try {
    const { probabilities, predicted } = await classifier.classify(x);
    return { probabilities: probabilities[0]!, predicted: HIWL_CLASSES[predicted[0]!]!, ms: performance.now() - start };
  } finally {
    x.dispose();
  }
}
