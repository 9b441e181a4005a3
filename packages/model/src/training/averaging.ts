/**
 * Weight averaging: an exponential moving average of a network's weights, taken once per
 * epoch (as SWA averages, Izmailov et al. 2018), so that the same recipe averages the same
 * snapshots whether one thread or several replicas trained them. Batch norm's moving
 * statistics average with the weights, as timm's ModelEmaV2 does, rather than being
 * recomputed by an extra pass over the training images.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Network } from "./step.ts";

/**
 * averaged <- decay * averaged + (1 - decay) * network, every weight and batch-norm statistic.
 * Both networks must be the same architecture (a clone: loadModelFromFiles(serializeModel(n))).
 */
export function moveAverage(averaged: Network, network: Network, decay: number): void {
  if (!(decay >= 0 && decay < 1)) throw new Error(`the averaging decay must be in [0, 1), got ${decay}`);
  const from = network.weights;
  const into = averaged.weights;
  if (from.length !== into.length) throw new Error(`cannot average a network of ${from.length} weights into one of ${into.length}`);
  tf.tidy(() => {
    into.forEach((a, i) => {
      const w = from[i]!;
      if (a.shape.join() !== w.shape.join()) throw new Error(`cannot average ${w.name} [${w.shape}] into ${a.name} [${a.shape}]`);
      a.write(tf.add(tf.mul(a.read(), decay), tf.mul(w.read(), 1 - decay)));
    });
  });
}
