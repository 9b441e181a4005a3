/**
 * Everything the pages run with TensorFlow.js, in one module that use-model.ts imports
 * dynamically: pages that never show a prediction never download tfjs.
 */
import { type Level } from "@hiwl/model";
import type { HiwlClass } from "@hiwl/model";
import * as tf from "@tensorflow/tfjs-core";
import { modelBaseUrl } from "~/lib/urls.ts";
import { initBackend } from "./backend.ts";
import { loadClassifier, networkInput, type Classifier } from "./classifier.ts";
import { camTarget, gradCam } from "./grad-cam.ts";

export { initBackend } from "./backend.ts";
export { predict, type Classifier } from "./classifier.ts";

let current: { version: string; classifier: Promise<Classifier> } | undefined;

/**
 * The model version's classifier, loaded once per page. Only the newest version is kept: when
 * the active version changes, the previous one's weights are freed once the new one is ready.
 */
export function classifierFor(version: string): Promise<Classifier> {
  if (current?.version === version) return current.classifier;
  const previous = current?.classifier;
  const classifier = initBackend().then(() => loadClassifier(modelBaseUrl(version)));
  current = { version, classifier };
  classifier.then(
    () => void previous?.then((old) => old.dispose(), () => {}),
    () => {
      // A failed load is retried by the next caller instead of failing for good.
      if (current?.classifier === classifier) current = undefined;
    },
  );
  return classifier;
}

/** A galaxy image's pixels as stored: no colour management, as when the trainer decodes the JPEG. */
export async function decodeImage(url: string): Promise<ImageBitmap> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`galaxy image: HTTP ${response.status}`);
  return createImageBitmap(await response.blob(), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
}

export interface Explanation {
  cls: HiwlClass;
  level: Level;
  /** The class activation map at the network's resolution, row-major, in [0, 1]. */
  cam: number[];
  camSide: number;
  /** The map resized (bilinear) to side x side for drawing. */
  upsampled: Float32Array;
  side: number;
}

/** Grad-CAM of one class for a galaxy image, resized for a side x side canvas. */
export async function explain(classifier: Classifier, image: ImageBitmap, cls: HiwlClass, side: number): Promise<Explanation> {
  const { level, index } = camTarget(classifier.metadata.hierarchy, cls);
  const network = classifier.networks[level];
  if (!network) throw new Error(`the model has no ${level} network`);
  const cam = tf.tidy(() => gradCam(network, networkInput(classifier, image), index));
  const upsampled = tf.tidy(() => tf.image.resizeBilinear(tf.expandDims<tf.Tensor3D>(cam, -1), [side, side], false, true));
  try {
    const [values, resized] = await Promise.all([cam.data(), upsampled.data()]);
    return { cls, level, cam: Array.from(values), camSide: cam.shape[0], upsampled: resized as Float32Array, side };
  } finally {
    cam.dispose();
    upsampled.dispose();
  }
}
