/**
 * tfjs-core's Adam and momentum-SGD steps as one kernel per variable (HIWL_KERNELS.adam and
 * .momentum) on the backends that register them: the wasm SIMD kernels (wasm-fast-kernels.ts)
 * and the WebGPU programs (webgpu-kernels.ts). tfjs-core runs ~14 tf ops per variable for Adam
 * and ~4 for momentum SGD: 3,000 and 850 kernels per EfficientNet-B0 step, each with tens of
 * microseconds of engine overhead on wasm and a dispatch of its own on WebGPU.
 *
 * The patched applyGradients keep tfjs-core's optimizer state (moments, accumulations,
 * accBeta1/2, iterations: getWeights/setWeights and saved checkpoints are unchanged) and take
 * every hyperparameter from JavaScript numbers, never reading a tensor back: Adam's bias
 * corrections come from the iteration count, as tfjs-core's setWeights computes them. Where
 * the kernel is missing, or a variable is not float32, tfjs-core's own code runs.
 */
import * as tf from "@tensorflow/tfjs-core";
import { HIWL_KERNELS, hiwlKernelReady, type AdamStepAttrs, type MomentumStepAttrs } from "./hiwl-kernels.ts";

type ApplyGradients = (
  this: unknown,
  variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>,
) => void;

type GradientEntries = ReadonlyArray<readonly [string, tf.Tensor | undefined]>;
type Variables = ReturnType<typeof tf.engine>["registeredVariables"];
type Slot = { originalName: string; variable: tf.Variable } | undefined;

function gradientEntries(variableGradients: Parameters<ApplyGradients>[0]): GradientEntries {
  return Array.isArray(variableGradients)
    ? variableGradients.map((v) => [v.name, v.tensor] as const)
    : Object.entries(variableGradients);
}

function allFloat32(entries: GradientEntries, registered: Variables): boolean {
  return entries.every(([name, g]) => registered[name]?.dtype === "float32" && (g == null || g.dtype === "float32"));
}

/** A slot variable (a moment, an accumulation) created exactly as tfjs-core does, so getWeights/setWeights match. */
function slotVariable(name: string, suffix: string, value: tf.Variable): NonNullable<Slot> {
  return { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
}

/**
 * An optimizer's applyGradients that gives every variable to `update` (one kernel each) where
 * the kernel can take them all, and tfjs's own otherwise.
 */
function withFusedKernel<O extends { incrementIterations(): void }>(
  kernel: string,
  original: ApplyGradients,
  update: (optimizer: O, entries: GradientEntries, registered: Variables) => void,
): ApplyGradients {
  return function (this: unknown, variableGradients) {
    const entries = gradientEntries(variableGradients);
    const registered = tf.engine().registeredVariables;
    if (!hiwlKernelReady(kernel) || !allFloat32(entries, registered)) return original.call(this, variableGradients);
    const optimizer = this as O;
    tf.tidy(() => update(optimizer, entries, registered));
    optimizer.incrementIterations();
  };
}

/** The AdamOptimizer fields the patched applyGradients uses (private/protected in typings). */
interface AdamLike {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  iterations: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  incrementIterations(): void;
}

const fusedAdamApply = (original: ApplyGradients) =>
  withFusedKernel<AdamLike>(HIWL_KERNELS.adam, original, (adam, entries, registered) => {
    // accBeta1/2 hold beta^(iterations + 1) (tfjs-core's setWeights sets them so).
    const step = adam.iterations + 1;
    const attrs: AdamStepAttrs = {
      beta1: adam.beta1,
      beta2: adam.beta2,
      epsilon: adam.epsilon,
      learningRate: adam.learningRate,
      accBeta1: adam.beta1 ** step,
      accBeta2: adam.beta2 ** step,
    };
    entries.forEach(([name, gradient], i) => {
      const value = registered[name]!;
      const firstMoment = (adam.accumulatedFirstMoment[i] ??= slotVariable(name, "m", value)).variable;
      const secondMoment = (adam.accumulatedSecondMoment[i] ??= slotVariable(name, "v", value)).variable;
      if (gradient == null) return;
      const [w, m, v] = tf
        .engine()
        .runKernel<tf.Tensor[]>(HIWL_KERNELS.adam, { w: value, g: gradient, m: firstMoment, v: secondMoment }, attrs as unknown as tf.NamedAttrMap);
      firstMoment.assign(m!);
      secondMoment.assign(v!);
      value.assign(w!);
    });
    // Kept as tfjs-core keeps them, for getWeights and a fallback to its code.
    adam.accBeta1.assign(tf.mul(adam.accBeta1, adam.beta1));
    adam.accBeta2.assign(tf.mul(adam.accBeta2, adam.beta2));
  });

/** The MomentumOptimizer fields the patched applyGradients uses. */
interface MomentumLike {
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
  accumulations: Slot[];
  incrementIterations(): void;
}

const fusedMomentumApply = (original: ApplyGradients) =>
  withFusedKernel<MomentumLike>(HIWL_KERNELS.momentum, original, (sgd, entries, registered) => {
    const attrs: MomentumStepAttrs = { momentum: sgd.momentum, scale: -sgd.learningRate, nesterov: sgd.useNesterov };
    entries.forEach(([name, gradient], i) => {
      const value = registered[name]!;
      const accumulation = (sgd.accumulations[i] ??= slotVariable(name, "momentum", value)).variable;
      if (gradient == null) return;
      const [w, acc] = tf
        .engine()
        .runKernel<tf.Tensor[]>(HIWL_KERNELS.momentum, { w: value, g: gradient, accumulation }, attrs as unknown as tf.NamedAttrMap);
      accumulation.assign(acc!);
      value.assign(w!);
    });
  });

let originalAdamApply: ApplyGradients | undefined;
let originalMomentumApply: ApplyGradients | undefined;

/** Patches tfjs-core's AdamOptimizer and MomentumOptimizer applyGradients. Idempotent. */
export function installFusedOptimizers(): void {
  if (originalAdamApply === undefined) {
    const prototype = tf.AdamOptimizer.prototype as unknown as Record<string, unknown>;
    originalAdamApply = prototype["applyGradients"] as ApplyGradients;
    prototype["applyGradients"] = fusedAdamApply(originalAdamApply);
  }
  if (originalMomentumApply === undefined) {
    const prototype = tf.MomentumOptimizer.prototype as unknown as Record<string, unknown>;
    originalMomentumApply = prototype["applyGradients"] as ApplyGradients;
    prototype["applyGradients"] = fusedMomentumApply(originalMomentumApply);
  }
}

/** Restores tfjs-core's own optimizer steps: for benchmarks and comparisons. */
export function uninstallFusedOptimizers(): void {
  if (originalAdamApply !== undefined) {
    (tf.AdamOptimizer.prototype as unknown as Record<string, unknown>)["applyGradients"] = originalAdamApply;
    originalAdamApply = undefined;
  }
  if (originalMomentumApply !== undefined) {
    (tf.MomentumOptimizer.prototype as unknown as Record<string, unknown>)["applyGradients"] = originalMomentumApply;
    originalMomentumApply = undefined;
  }
}
