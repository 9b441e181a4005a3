import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
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
  expect(new Set(bufferCounts.slice(1)).size, `backend buffers per step: ${bufferCounts.join(",")}`).toBe(1);
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

/**
 * A small net with every layer kind the EfficientNets train (convolution, depthwise
 * convolution, batch norm, pooling, dense) trains on the current backend: the loss falls by a
 * fifth in 12 steps, with no leak.
 */
export async function trainsSmallNet(): Promise<void> {
  const rand = random(42);
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, padding: "same", useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.activation({ activation: "relu" }),
      tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.activation({ activation: "relu" }),
      tfl.layers.conv2d({ filters: 12, kernelSize: 1, activation: "relu" }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: "categoricalCrossentropy" });
  const xs = tf.tensor4d(Float32Array.from({ length: 8 * 12 * 12 * 3 }, () => rand() * 2 - 1), [8, 12, 12, 3]);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], "int32"), 3);

  const losses = await trainWithoutLeaks(model, xs, ys, 12);
  expect(losses.at(-1)!, `losses: ${losses.join(",")}`).toBeLessThan(losses[0]! * 0.8);
  tf.dispose([xs, ys]);
  model.dispose();
}
