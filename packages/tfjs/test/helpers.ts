import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { expect } from "vitest";

/**
 * Trains `steps` batches and checks that, from the second step on (the optimizer creates its
 * slot variables on the first), neither the engine's tensors nor the backend's buffers grow:
 * intermediates freed inside a kernel never reach the engine, only the backend sees them.
 * Returns the losses, all finite.
 */
export async function trainWithoutLeaks(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor, steps: number): Promise<number[]> {
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  const bufferCounts: number[] = [];
  for (let step = 0; step < steps; step++) {
    losses.push((await model.trainOnBatch(xs, ys)) as number);
    tensorCounts.push(tf.memory().numTensors);
    bufferCounts.push(tf.engine().backend.numDataIds());
  }
  expect(new Set(tensorCounts.slice(1)).size, `numTensors per step: ${tensorCounts.join(",")}`).toBe(1);
  expect(new Set(bufferCounts.slice(1)).size, `wasm buffers per step: ${bufferCounts.join(",")}`).toBe(1);
  expect(losses.every(Number.isFinite)).toBe(true);
  return losses;
}

/** mulberry32: reproducible inputs, so a failing case can be rerun. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
