/**
 * Training-mode batch normalisation and swish with hand-written gradients, patched into
 * tfjs-layers' BatchNormalization and Swish classes while a backend with the per-channel
 * kernels of hiwl-kernels.ts is active (wasm with SIMD, webgpu), and the one-kernel optimizer
 * steps of fused-optimizers.ts.
 *
 * tfjs-layers trains a batch norm as tf.moments + tf.batchNorm, whose gradients run through
 * ~20 full-size elementwise ops and reductions (the FusedBatchNorm gradient, then the Mean,
 * Square, Sub and Cast gradients of the moments, then the sums of three x gradients). As one
 * tf.customGrad op with those kernels (SIMD on wasm, WGSL on webgpu) the backward pass reads dy and
 * x twice (one pass for both sums, one for dx):
 *   dx = k * (dy - sum(dy)/M - xc * invVar * sum(dy*xc)/M),  k = gamma/sqrt(var+eps), xc = x - mean
 * Swish is x*sigmoid(1*x) in tfjs-layers (3 forward and ~7 backward passes); as a custom op it
 * is 2 forward passes and 1 backward: dx = dy * s * (1 + x - x*s), s = sigmoid(x).
 *
 * Models, weights, layer names and saved configs are unchanged: only how the same functions
 * are differentiated. Inference, other backends and unsupported configurations (batch norm
 * over another axis, without center/scale) run tfjs-layers' own code.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import { installFusedOptimizers, uninstallFusedOptimizers } from "./fused-optimizers.ts";
import { HIWL_KERNELS, hiwlKernelReady } from "./hiwl-kernels.ts";

interface LayerVariableLike {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

/** The BatchNormalization fields the patched call reads (private in tfjs-layers' typings). */
interface BatchNormalizationLike {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVariableLike;
  beta: LayerVariableLike;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
}

type LayerCall = (this: unknown, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
type ActivationApply = (this: unknown, x: tf.Tensor, alpha?: number) => tf.Tensor;

function registeredClass(className: string): { prototype: Record<string, unknown> } {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry === undefined) throw new Error(`tfjs-layers has no registered class ${className}`);
  return entry[0];
}

/** Whether the active backend has the per-channel kernels (wasm with SIMD, webgpu). */
function fusedAvailable(): boolean {
  return hiwlKernelReady(HIWL_KERNELS.normalize);
}

function run(kernelName: string, inputs: Record<string, tf.Tensor>): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(kernelName, inputs, {});
}

/**
 * Batch norm over the last axis of x in training mode. Returns the normalised tensor and the
 * batch mean and variance (for the moving averages; they carry no gradient, as in tfjs-layers).
 * With the SIMD kernels: forward = mean, sum of squares, normalise (3 passes over x); backward
 * = two sums and the input gradient (2 passes over dy and x). Otherwise the same formulas as tf
 * ops.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const channels = x.shape.at(-1)!;
  const rows = x.size / channels;
  const fused = fusedAvailable();
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const x2 = tf.reshape(xIn as tf.Tensor, [rows, channels]);
    const mean = tf.mean<tf.Tensor1D>(x2, 0);
    const xc = fused ? undefined : tf.sub(x2, mean);
    const variance = fused
      ? tf.div<tf.Tensor1D>(run(HIWL_KERNELS.centeredSquareSums, { x: x2, mean }), rows)
      : tf.mean<tf.Tensor1D>(tf.square(xc!), 0);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const k = tf.mul(invStd, gammaIn as tf.Tensor);
    const y = fused
      ? run(HIWL_KERNELS.normalize, { x: x2, mean, k, beta: betaIn as tf.Tensor })
      : tf.add(tf.mul(xc!, k), betaIn as tf.Tensor);
    // The forward function runs in a tidy: keep the statistics for the moving averages.
    stats = [tf.keep(mean), tf.keep(variance)];
    (save as tf.GradSaveFunc)(fused ? [x2, mean, invStd, k] : [xc!, invStd, k]);
    return {
      value: tf.reshape(y, (xIn as tf.Tensor).shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dy2 = tf.reshape(dy, [rows, channels]);
        if (fused) {
          const [xSaved, meanSaved, invStdSaved, kSaved] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          const sums = run(HIWL_KERNELS.batchNormGradientSums, { dy: dy2, x: xSaved, mean: meanSaved });
          const [sumDy, sumDyXc] = tf.split(tf.reshape(sums, [2 * channels]), 2);
          const a = tf.mul(tf.square(invStdSaved), tf.div(sumDyXc!, rows));
          const b = tf.div(sumDy!, rows);
          const dx = run(HIWL_KERNELS.batchNormInputGradient, { dy: dy2, x: xSaved, mean: meanSaved, a, b, k: kSaved });
          return [tf.reshape(dx, dy.shape), tf.mul(sumDyXc!, invStdSaved), sumDy!];
        }
        const [xcSaved, invStdSaved, kSaved] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const sumDy = tf.sum(dy2, 0);
        const sumDyXc = tf.sum(tf.mul(dy2, xcSaved), 0);
        // dx = k * (dy - (xc * a + b)), a = invStd^2 * sum(dy*xc) / M, b = sum(dy) / M
        const a = tf.mul(tf.square(invStdSaved), tf.div(sumDyXc, rows));
        const b = tf.div(sumDy, rows);
        const dx = tf.mul(tf.sub(dy2, tf.add(tf.mul(xcSaved, a), b)), kSaved);
        return [tf.reshape(dx, dy.shape), tf.mul(sumDyXc, invStdSaved), sumDy];
      },
    };
  });
  const y = op(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean, variance };
}

/** Swish x * sigmoid(x) with the gradient dy * s * (1 + x - x*s), s = sigmoid(x). */
export const swish = tf.customGrad<tf.Tensor>((xIn, save) => {
  const x = xIn as tf.Tensor;
  const s = tf.sigmoid(x);
  (save as tf.GradSaveFunc)([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xSaved, sSaved] = saved as [tf.Tensor, tf.Tensor];
      if (fusedAvailable()) return run(HIWL_KERNELS.swishGradient, { dy, x: xSaved, s: sSaved });
      return tf.mul(dy, tf.mul(sSaved, tf.sub(tf.add(xSaved, 1), tf.mul(xSaved, sSaved))));
    },
  };
});

let originalBatchNormCall: LayerCall | undefined;
let originalSwishApply: ActivationApply | undefined;

function fastBatchNormCall(original: LayerCall): LayerCall {
  return function (this: unknown, inputs, kwargs) {
    const layer = this as BatchNormalizationLike;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const supported =
      fusedAvailable() &&
      kwargs["training"] === true &&
      input !== undefined &&
      input.dtype === "float32" &&
      input.rank >= 2 &&
      (layer.axis === -1 || layer.axis === input.rank - 1) &&
      layer.center &&
      layer.scale;
    if (!supported) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(input, layer.gamma.read(), layer.beta.read(), layer.epsilon);
      // tfjs-layers' moving-average update, verbatim.
      for (const [variable, value] of [
        [layer.movingMean, mean],
        [layer.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const origValue = variable.read();
          variable.write(tf.sub(origValue, tf.mul(tf.sub(origValue, value), 1 - layer.momentum)));
        });
      }
      tf.dispose([mean, variance]);
      return y;
    });
  };
}

function fastSwishApply(original: ActivationApply): ActivationApply {
  return function (this: unknown, x, alpha = 1) {
    if (!fusedAvailable() || alpha !== 1 || x.dtype !== "float32") return original.call(this, x, alpha);
    return swish(x);
  };
}

/**
 * Patches tfjs-layers' BatchNormalization.call and Swish.apply, and tfjs-core's
 * AdamOptimizer and MomentumOptimizer applyGradients (each falls back to the original off
 * wasm). Idempotent.
 */
export function installFusedLayers(): void {
  installFusedOptimizers();
  if (originalBatchNormCall === undefined) {
    const prototype = registeredClass("BatchNormalization").prototype;
    originalBatchNormCall = prototype["call"] as LayerCall;
    prototype["call"] = fastBatchNormCall(originalBatchNormCall);
  }
  if (originalSwishApply === undefined) {
    const prototype = registeredClass("swish").prototype;
    originalSwishApply = prototype["apply"] as ActivationApply;
    prototype["apply"] = fastSwishApply(originalSwishApply);
  }
}

/** Restores tfjs-layers' own BatchNormalization.call and Swish.apply and tfjs-core's optimizers. */
export function uninstallFusedLayers(): void {
  uninstallFusedOptimizers();
  if (originalBatchNormCall !== undefined) {
    registeredClass("BatchNormalization").prototype["call"] = originalBatchNormCall;
    originalBatchNormCall = undefined;
  }
  if (originalSwishApply !== undefined) {
    registeredClass("swish").prototype["apply"] = originalSwishApply;
    originalSwishApply = undefined;
  }
}
