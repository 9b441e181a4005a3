/**
 * Network inputs from raw RGB cutouts (as the cutout cache stores them): augmented training
 * views or the central test view, as one Float32Array ready to hand to another thread.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { augmentBatch, PREPROCESSING, preprocessForInference, type Preprocessing } from "../network/preprocess.ts";
import { createRng, type Rng } from "../random.ts";

/** How a batch's random training views are drawn. */
export interface Augmentation {
  /** Seeds the views. */
  seed: string;
  /** Rotations are uniform in [-rotationDegrees, rotationDegrees] (the recipe's, Preprocessing's). */
  rotationDegrees: number;
  /** The random crop's area range, in place of Preprocessing's (self-supervised views crop harder). */
  cropScale?: readonly [min: number, max: number];
  /**
   * Colour jitter: each channel's intensity scaled by e^u, u uniform in [-colour, colour], per
   * image, so that two views of a galaxy cannot be matched by their colours alone.
   */
  colour?: number;
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
    const { seed, rotationDegrees, cropScale, colour } = augmentation;
    const p = { ...PREPROCESSING, rotationDegrees, ...(cropScale && { cropScale: [cropScale[0], cropScale[1]] as [number, number] }) };
    const views = augmentBatch(cutouts, inputSize, createRng(seed), p);
    return colour ? jitterColour(views, createRng(`${seed}:colour`), colour, p) : views;
  });
  try {
    // A copy: dataSync may hand out the backend's own array.
    return new Float32Array(out.dataSync());
  } finally {
    out.dispose();
  }
}

/**
 * Scales each channel of each normalised image as if its [0, 1] intensity had been scaled by
 * e^u: (s x - mean) / std = s n + (s - 1) mean / std for n = (x - mean) / std.
 */
function jitterColour(images: tf.Tensor4D, rng: Rng, colour: number, p: Preprocessing): tf.Tensor4D {
  const count = images.shape[0];
  const factors = Array.from({ length: count * 3 }, () => Math.exp(colour * (2 * rng() - 1)));
  const s = tf.tensor4d(factors, [count, 1, 1, 3]);
  const shift = tf.mul(tf.sub(s, 1), tf.tensor1d(p.mean.map((m, c) => m / p.std[c]!)));
  return tf.add(tf.mul(images, s), shift);
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
