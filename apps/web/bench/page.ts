/**
 * The benchmark's page script: the site's own model code (src/lib/model) timed on galaxy
 * images in the browser.
 */
import * as tf from "@tensorflow/tfjs-core";
import { loadClassifier } from "../src/lib/model/classifier.ts";
import type { Backend } from "../src/lib/model/backend.ts";
import { decodeImage, initBackend, predict } from "../src/lib/model/runtime.ts";

export interface BenchOptions {
  backend: Backend;
  modelUrl: string;
  imageUrls: string[];
  runs: number;
}

export interface BenchResult {
  backend: string;
  /** Backend start, model download and warm-up, and the first galaxy's prediction. */
  firstMs: number;
  /** The following predictions, each from a decoded image to the five probabilities. */
  runsMs: number[];
}

async function bench({ backend: choice, modelUrl, imageUrls, runs }: BenchOptions): Promise<BenchResult> {
  const images = await Promise.all(imageUrls.map(decodeImage));
  const start = performance.now();
  const backend = await initBackend(choice);
  const classifier = await loadClassifier(modelUrl);
  await predict(classifier, images[0]!);
  const firstMs = performance.now() - start;
  const tensors = tf.memory().numTensors;
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push((await predict(classifier, images[(i + 1) % images.length]!)).ms);
  if (tf.memory().numTensors !== tensors) throw new Error(`predictions leak tensors: ${tensors} before, ${tf.memory().numTensors} after`);
  return { backend, firstMs, runsMs };
}

Object.assign(window, { bench });
