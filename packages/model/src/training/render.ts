/**
 * Network inputs from raw RGB cutouts (as the cutout cache stores them): augmented training
 * views or the central test view, as one Float32Array ready to hand to another thread.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { augmentBatch, PREPROCESSING, preprocessForInference } from "../network/preprocess.ts";
import { createRng } from "../random.ts";

/** How a batch's random training views are drawn. */
export interface Augmentation {
  /** Seeds the views. */
  seed: string;
  /** Rotations are uniform in [-rotationDegrees, rotationDegrees] (the recipe's, Preprocessing's). */
  rotationDegrees: number;
}

/**
 * `count` cutouts of side x side x 3 bytes -> [count, inputSize, inputSize, 3] normalised
 * pixels: random training views, or the test view when `augmentation` is null.
 */
export function renderCutouts(
  pixels: Uint8Array,
  count: number,
  side: number,
  inputSize: number,
  augmentation: Augmentation | null,
): Float32Array {
  const out = tf.tidy(() => {
    const cutouts = tf.tensor4d(Int32Array.from(pixels), [count, side, side, 3], "int32");
    if (augmentation === null) return preprocessForInference(cutouts, inputSize);
    const { seed, rotationDegrees } = augmentation;
    return augmentBatch(cutouts, inputSize, createRng(seed), { ...PREPROCESSING, rotationDegrees });
  });
  try {
    // A copy: dataSync may hand out the backend's own array.
    return new Float32Array(out.dataSync());
  } finally {
    out.dispose();
  }
}

/**
 * Sets up a thread that only renders: the cpu backend (rendering is light, and it leaves the
 * wasm module to the training thread), in tfjs's production mode, which also drops the banner
 * recommending tfjs-node on every start.
 */
export async function useCpuForRendering(): Promise<void> {
  tf.env().set("PROD", true);
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend failed to start");
}
