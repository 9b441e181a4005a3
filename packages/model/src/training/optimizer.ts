/**
 * HIWL's optimisation, for tfjs: SGD with momentum 0.9 (or Adam), the learning rate annealed
 * along a cosine, and weight decay. The decay is decoupled (w <- w - lr * wd * w after each
 * step, AdamW-style) and applied to convolution and dense kernels only: tfjs optimisers have
 * no weight-decay term, adding it to the loss would double the ops of every step, and
 * decaying batch-norm scales and biases only works against the normalisation.
 */
import * as tf from "@tensorflow/tfjs-core";

export const OPTIMIZERS = ["sgd", "adam"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** The authors' SGD momentum. */
export const SGD_MOMENTUM = 0.9;

export function createOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  return name === "sgd" ? tf.train.momentum(learningRate, SGD_MOMENTUM) : tf.train.adam(learningRate);
}

export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  // By class name: tfjs optimisers answer instanceof by duck typing, so Adam "is" an SGDOptimizer.
  const name = optimizer.getClassName();
  if (name === "SGD" || name === "Momentum") {
    // The setter also refreshes the optimiser's cached -lr scalar.
    (optimizer as tf.SGDOptimizer).setLearningRate(learningRate);
  } else if (name === "Adam") {
    // Adam reads the field on every step; it is declared protected, not readonly.
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  } else throw new Error(`cannot set the learning rate of ${name}`);
}

/**
 * Cosine annealing from `base` at step 0 to 0 at step `total` (PyTorch's CosineAnnealingLR,
 * eta_min 0). With `warmup` steps the rate first rises linearly to `base` (reaching it at step
 * `warmup`) and the cosine spans the steps after: Adam's first steps from random weights, with
 * its second-moment estimates still near zero, are the ones that overshoot.
 */
export function cosineLearningRate(base: number, step: number, total: number, warmup = 0): number {
  if (step < warmup) return (base * (step + 1)) / (warmup + 1);
  const span = total - warmup;
  if (span <= 0) return base;
  return 0.5 * base * (1 + Math.cos((Math.PI * Math.min(step - warmup, span)) / span));
}

/** The weights weight decay applies to: kernels (rank >= 2), not biases or batch-norm parameters. */
export function decayedWeights(variables: readonly tf.Variable[]): tf.Variable[] {
  return variables.filter((v) => v.rank >= 2);
}

export function applyWeightDecay(variables: readonly tf.Variable[], learningRate: number, weightDecay: number): void {
  if (weightDecay <= 0 || learningRate <= 0) return;
  const keep = 1 - learningRate * weightDecay;
  tf.tidy(() => {
    for (const v of variables) v.assign(tf.mul(v, keep));
  });
}

/** An optimizer's state (iteration count and slot variables) as a tfjs weights file. */
export interface OptimizerState {
  specs: tf.io.WeightsManifestEntry[];
  data: Uint8Array;
}

export async function saveOptimizerState(optimizer: tf.Optimizer): Promise<OptimizerState> {
  const { specs, data } = await tf.io.encodeWeights(await optimizer.getWeights());
  return { specs, data: new Uint8Array(data) };
}

/**
 * Restores a saved state. Slot variables are matched to model variables by position, as the
 * optimisers apply them, so the model must list its trainable weights in the same order (a
 * model built from the same code does).
 */
export async function loadOptimizerState(optimizer: tf.Optimizer, state: OptimizerState): Promise<void> {
  const tensors = tf.io.decodeWeights(state.data.slice().buffer, state.specs);
  await optimizer.setWeights(state.specs.map((spec) => ({ name: spec.name, tensor: tensors[spec.name]! })));
  tf.dispose(Object.values(tensors));
}
