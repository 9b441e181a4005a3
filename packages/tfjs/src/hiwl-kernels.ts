/**
 * The kernels the project adds to TensorFlow.js under names of its own, so that tf-level code
 * (fused-layers.ts, fused-optimizers.ts) can run them with engine().runKernel on whichever
 * backend registers them: wasm (kernels.wat, through wasm-fast-kernels.ts) and webgpu (WGSL,
 * webgpu-kernels.ts). Elsewhere that code runs tf ops instead.
 */
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "./wasm-simd-kernels.ts";

export const HIWL_KERNELS = {
  normalize: "HiwlNormalize",
  centeredSquareSums: "HiwlCenteredSquareSums",
  batchNormGradientSums: "HiwlBatchNormGradientSums",
  batchNormInputGradient: "HiwlBatchNormInputGradient",
  swishGradient: "HiwlSwishGradient",
  adam: "HiwlAdam",
  momentum: "HiwlMomentum",
} as const;

/** The hyperparameters of HIWL_KERNELS.adam: one step of tfjs-core's formula. */
export interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** beta1 and beta2 to the power of the step number (1 on the first step). */
  accBeta1: number;
  accBeta2: number;
}

/** The hyperparameters of HIWL_KERNELS.momentum; scale is -learningRate. */
export interface MomentumStepAttrs {
  momentum: number;
  scale: number;
  nesterov: boolean;
}

/** Whether the active backend can run `kernel` now (on wasm: the SIMD module is loaded too). */
export function hiwlKernelReady(kernel: string): boolean {
  const backend = tf.getBackend();
  if (tf.getKernel(kernel, backend) === undefined) return false;
  return backend !== "wasm" || simdKernels(tf.backend()) !== undefined;
}
