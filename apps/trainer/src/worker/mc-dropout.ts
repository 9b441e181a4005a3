/**
 * Monte Carlo dropout (Gal & Ghahramani 2016), as Galaxy Zoo's active learning uses it for
 * BALD: each forward pass drops a different random subset, so T passes sample T predictions
 * of the posterior.
 *
 * Calling a network with training=true would do that but also switch every batch
 * normalisation to the batch's statistics and move its running averages, changing the model
 * and making a galaxy's prediction depend on its batch. Instead only the dropout and
 * drop-connect layers are made to run as in training; everything else stays in inference.
 */
import { DropConnect } from "@hiwl/model/network";
import type { LevelModels, Network } from "@hiwl/model/training";

type Layer = Network["layers"][number];

const isStochastic = (layer: Layer) => layer instanceof DropConnect || layer.getClassName() === "Dropout";

/**
 * Turns MC dropout on for good in these networks (a model loaded for scoring; the saved files
 * are untouched). Returns how many layers now drop at inference, 0 for a network without any.
 */
export function enableMcDropout(networks: LevelModels): number {
  let count = 0;
  for (const network of Object.values(networks)) {
    for (const layer of network?.layers ?? []) {
      if (!isStochastic(layer)) continue;
      const call = layer.call.bind(layer);
      layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: true });
      count++;
    }
  }
  return count;
}
