/**
 * Faster versions of the wasm kernels and gradients that dominate training a convolutional
 * net (EfficientNet: batch norm + swish + squeeze-excite) on TensorFlow.js 4.22's wasm backend.
 *
 * The stock wasm backend runs several kernels as scalar C++ loops or with needless copies:
 * - Tile: a generic index loop, ~150 ms to broadcast a [C] vector over a 32x32x32 batch. The
 *   batch-norm gradient and every Mean/Sum gradient broadcast with it.
 * - Sum/Mean over leading or middle axes (the batch-norm reductions, global average pooling):
 *   a full transpose first, then a scalar loop.
 * - FusedBatchNorm: a scalar loop, ~8x slower than two XNNPACK broadcast ops.
 * - Identity and same-dtype Cast: full copies (the tape clones every tensor a gradient saves).
 * - Conv2D and FusedConv2D of 1x1 filters: XNNPACK packs every new filter (wasm-pointwise.ts).
 *
 * The overrides keep wasm's own kernels for every other case. They call wasm kernels
 * directly on TensorInfos and free their intermediates (engine-level tf ops inside a kernel
 * crash within tf.grads; see wasm-gradients.ts). The gradient overrides are ordinary tf ops
 * and apply only while the wasm backend is active; other backends keep tfjs-core's gradients.
 *
 * registerWasmFastKernels also registers the per-channel and optimizer kernels of
 * wasm-simd-kernels.ts under new names (HIWL_KERNELS) and installs the batch-norm, swish and
 * optimizer patches of fused-layers.ts, which use them.
 */
import "@tensorflow/tfjs-backend-wasm";
// tfjs-core registers no gradients itself; tfjs-layers' bundle registers all of them when it
// loads. Loading it first means the overrides below replace those, and stay.
import "@tensorflow/tfjs-layers";
import {
  Add,
  add,
  AvgPool,
  backend_util,
  broadcastTo,
  Cast,
  Conv2D,
  div,
  Fill,
  FusedBatchNorm,
  FusedConv2D,
  getBackend,
  getGradient,
  getKernel,
  Identity,
  Mean,
  mul,
  Multiply,
  neg,
  registerGradient,
  registerKernel,
  reshape,
  Rsqrt,
  rsqrt,
  scalar,
  Sub,
  sub,
  Sum,
  sum,
  Tile,
  tidy,
  unregisterKernel,
  util,
  type CastAttrs,
  type FusedBatchNormAttrs,
  type GradConfig,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type SumAttrs,
  type Tensor,
  type TensorInfo,
  type TileAttrs,
} from "@tensorflow/tfjs-core";
import { installFusedLayers, uninstallFusedLayers } from "./fused-layers.ts";
import { pointwiseConv2D } from "./wasm-pointwise.ts";
import { withScratch, type WasmScratch } from "./wasm-scratch.ts";
import { HIWL_KERNELS, type AdamStepAttrs, type MomentumStepAttrs } from "./hiwl-kernels.ts";
import { simdKernels, type SimdKernels } from "./wasm-simd-kernels.ts";

type KernelArgs = Parameters<KernelFunc>[0];
type Override = (args: KernelArgs, original: KernelFunc) => TensorInfo | TensorInfo[];

/** A TensorInfo that shares `x`'s buffer; the wasm backend reference-counts buffers. */
function share(backend: KernelBackend, x: TensorInfo, shape: number[] = x.shape): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...shape], dtype: x.dtype };
}

function fill(ops: WasmScratch, shape: number[], value: number): TensorInfo {
  return ops.run(Fill, {}, { shape, value, dtype: "float32" });
}

/** Identity shares the buffer instead of copying it, as the cpu backend does. */
const identity: Override = ({ inputs, backend }, original) => {
  const x = inputs["x"]!;
  if (x.dtype === "string") return original({ inputs, backend, attrs: {} });
  return share(backend as KernelBackend, x);
};

/** A cast to the same dtype is an identity. */
const cast: Override = (args, original) => {
  const x = args.inputs["x"]!;
  const { dtype } = args.attrs as unknown as CastAttrs;
  if (x.dtype !== dtype || dtype === "string") return original(args);
  return share(args.backend as KernelBackend, x);
};

/**
 * Tile that only repeats size-1 axes is a broadcast: one XNNPACK Multiply of x with a ones
 * tensor holding the repeated axes (its size is the output's divided by x's). Real tiling of
 * longer axes, and non-float types, go to wasm's kernel.
 */
const tile: Override = (args, original) => {
  const x = args.inputs["x"]!;
  const { reps } = args.attrs as unknown as TileAttrs;
  // XNNPACK's broadcasting binary operators take up to 6 dimensions.
  if (x.dtype !== "float32" || reps.length !== x.shape.length || reps.length > 6) return original(args);
  if (util.sizeFromShape(x.shape) === 0 || reps.some((r, i) => r < 1 || (r !== 1 && x.shape[i] !== 1))) {
    return original(args);
  }
  const backend = args.backend as KernelBackend;
  if (reps.every((r) => r === 1)) return share(backend, x);
  return withScratch(backend, (ops) => {
    const ones = fill(ops, reps.slice(), 1);
    return ops.run(Multiply, { a: x, b: ones }, {});
  });
};

/**
 * The reduction as [outer, reduced, inner] sizes when `axes` are one contiguous block that is
 * not innermost (wasm's kernels transpose those first); undefined otherwise.
 */
function blockReduction(shape: number[], axis: number | number[]) {
  const axes = [...new Set(util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  if (axes.length === 0) return undefined;
  const first = axes[0]!;
  const last = axes.at(-1)!;
  if (last - first + 1 !== axes.length || last === shape.length - 1) return undefined;
  const size = (from: number, to: number) => util.sizeFromShape(shape.slice(from, to));
  return { axes, outer: size(0, first), reduced: size(first, last + 1), inner: size(last + 1, shape.length) };
}

/**
 * The most channels the AvgPool reduction is given. XNNPACK's pooling reads past the wasm heap
 * for rows of tens of thousands of channels (the mean over 8 views of [64, 1280] features,
 * 81,920 "channels", failed with "memory access out of bounds"; 12,000 worked); networks'
 * statistics and pooling have at most a few thousand (B0: 1,280), and longer rows go to
 * wasm's own kernel.
 */
const MAX_POOLED_CHANNELS = 4096;

/**
 * Sum or Mean over a block of leading or middle axes (batch-norm statistics over N,H,W, global
 * average pooling over H,W) as one XNNPACK AvgPool: x viewed as [outer, reduced, 1, inner]
 * pooled with a [reduced, 1] window. A Sum scales the mean back up.
 */
function poolingReduction(kind: "sum" | "mean"): Override {
  return (args, original) => {
    const x = args.inputs["x"]!;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    if (x.dtype !== "float32" || x.shape.length > 6) return original(args);
    const block = blockReduction(x.shape, axis);
    if (block === undefined || block.inner > MAX_POOLED_CHANNELS) return original(args);
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, block.axes);
    const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, block.axes) : outShape;
    const backend = args.backend as KernelBackend;
    if (block.reduced === 1) return share(backend, x, shape);
    return withScratch(backend, (ops) => {
      const pooled = ops.run(
        AvgPool,
        { x: ops.reshape(x, [block.outer, block.reduced, 1, block.inner]) },
        { filterSize: [block.reduced, 1], strides: 1, pad: "valid" },
      );
      const result = kind === "mean" ? pooled : ops.run(Multiply, { a: pooled, b: fill(ops, [], block.reduced) }, {});
      return ops.reshape(result, shape);
    });
  };
}

/** Whether a batch-norm parameter is absent or one float32 value per channel of x's last axis. */
function channelVector(param: TensorInfo | undefined, channels: number): boolean {
  if (param === undefined) return true;
  return (
    param.dtype === "float32" &&
    util.sizeFromShape(param.shape) === channels &&
    param.shape.length >= 1 &&
    param.shape.at(-1) === channels
  );
}

/**
 * Batch norm with per-channel parameters: s = scale / sqrt(variance + eps) on [C] vectors, then
 * one SIMD pass (x - mean) * s + offset, or without the SIMD kernels y = x * s + o with
 * o = offset - mean * s as two XNNPACK broadcasts.
 */
const fusedBatchNorm: Override = (args, original) => {
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
  if (x === undefined || mean === undefined || variance === undefined || x.dtype !== "float32") {
    return original(args);
  }
  const channels = x.shape.at(-1) ?? 0;
  if (![mean, variance, offset, scale].every((p) => channelVector(p, channels)) || channels === 0) {
    return original(args);
  }
  const backend = args.backend as KernelBackend;
  const simd = simdKernels(backend);
  return withScratch(backend, (ops) => {
    const vector = (p: TensorInfo) => ops.reshape(p, [channels]);
    const eps = fill(ops, [], varianceEpsilon);
    let s = ops.run(Rsqrt, { x: ops.run(Add, { a: vector(variance), b: eps }, {}) }, {});
    if (scale !== undefined) s = ops.run(Multiply, { a: s, b: vector(scale) }, {});
    if (simd !== undefined) {
      // One pass: (x - mean) * s + offset.
      const o = offset === undefined ? fill(ops, [channels], 0) : vector(offset);
      return simd.normalize(x, vector(mean), s, o);
    }
    const shift = ops.run(Multiply, { a: vector(mean), b: s }, {});
    const o = offset === undefined ? ops.run(Multiply, { a: shift, b: fill(ops, [], -1) }, {}) : ops.run(Sub, { a: vector(offset), b: shift }, {});
    return ops.run(Add, { a: ops.run(Multiply, { a: x, b: s }, {}), b: o }, {});
  });
};

type NewKernel = (
  simd: SimdKernels,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
) => TensorInfo | TensorInfo[];

const NEW_KERNELS: ReadonlyArray<readonly [string, NewKernel]> = [
  [HIWL_KERNELS.normalize, (simd, { x, mean, k, beta }) => simd.normalize(x!, mean!, k!, beta!)],
  [HIWL_KERNELS.centeredSquareSums, (simd, { x, mean }) => simd.centeredSquareSums(x!, mean!)],
  [HIWL_KERNELS.batchNormGradientSums, (simd, { dy, x, mean }) => simd.batchNormGradientSums(dy!, x!, mean!)],
  [
    HIWL_KERNELS.batchNormInputGradient,
    (simd, { dy, x, mean, a, b, k }) => simd.batchNormInputGradient(dy!, x!, mean!, a!, b!, k!),
  ],
  [HIWL_KERNELS.swishGradient, (simd, { dy, x, s }) => simd.swishGradient(dy!, x!, s!)],
  [
    HIWL_KERNELS.adam,
    (simd, { w, g, m, v }, attrs) => simd.adam(w!, g!, m!, v!, attrs as unknown as AdamStepAttrs),
  ],
  [
    HIWL_KERNELS.momentum,
    (simd, { w, g, accumulation }, attrs) =>
      simd.momentum(w!, g!, accumulation!, attrs as unknown as MomentumStepAttrs),
  ],
];

const registeredNewKernels: string[] = [];

const KERNEL_OVERRIDES: ReadonlyArray<readonly [string, Override]> = [
  [Identity, identity],
  [Cast, cast],
  [Tile, tile],
  [Sum, poolingReduction("sum")],
  [Mean, poolingReduction("mean")],
  [FusedBatchNorm, fusedBatchNorm],
  [Conv2D, pointwiseConv2D],
  [FusedConv2D, pointwiseConv2D],
];

/**
 * The gradient of a Sum or Mean: dy broadcast back over the reduced axes, divided by their
 * size for a Mean. One broadcast (a Tile, which the override above runs as one Multiply)
 * instead of tfjs-core's ones tensor, product and division over the full shape.
 */
function reductionGradient(kind: "sum" | "mean"): GradConfig["gradFunc"] {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const { axis } = attrs as unknown as SumAttrs;
    const axes = util.parseAxisParam(axis, x!.shape);
    const keptShape = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const reduced = util.sizeFromShape(axes.map((a) => x!.shape[a]!));
    return {
      x: () => {
        const grad = reshape(dy as Tensor, keptShape);
        return broadcastTo(kind === "mean" ? div(grad, reduced) : grad, x!.shape);
      },
    };
  };
}

/**
 * tfjs-core's FusedBatchNorm gradient for per-channel parameters, without its Tile and with
 * the shared reductions computed once: with k = scale / sqrt(variance + eps) and xc = x - mean,
 *   dx = dy * k,  dmean = -k * sum(dy),  doffset = sum(dy),
 *   dscale = sum(dy * xc) / sqrt(variance + eps),  dvariance = -k / 2 / (variance + eps) * sum(dy * xc).
 */
function fusedBatchNormGradient(stock: GradConfig["gradFunc"]): GradConfig["gradFunc"] {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as Array<Tensor | undefined>;
    const d = dy as Tensor;
    const channels = x?.shape.at(-1) ?? 0;
    const perChannel = [mean, variance, scale].every((p) => p === undefined || (p.size === channels && p.shape.at(-1) === channels));
    if (x === undefined || mean === undefined || variance === undefined || !perChannel || x.dtype !== "float32") {
      return stock(dy, saved, attrs);
    }
    const { varianceEpsilon } = attrs as unknown as FusedBatchNormAttrs;
    const rows = x.size / channels;
    const invStd = rsqrt(add(reshape(variance, [channels]), scalar(varianceEpsilon)));
    const k = scale === undefined ? invStd : mul(invStd, reshape(scale, [channels]));
    const [sumDy, sumDyXc] = tidy((): [Tensor, Tensor] => {
      const dy2 = reshape(d, [rows, channels]);
      const xc = sub(reshape(x, [rows, channels]), reshape(mean, [channels]));
      return [sum(dy2, 0), sum(mul(dy2, xc), 0)];
    });
    return {
      x: () => mul(d, k),
      mean: () => reshape(neg(mul(k, sumDy)), mean.shape),
      variance: () => reshape(mul(mul(mul(k, mul(invStd, invStd)), scalar(-0.5)), sumDyXc), variance.shape),
      scale: () => reshape(mul(sumDyXc, invStd), (scale ?? mean).shape),
      // The offset is not saved; tfjs-core gives its gradient the mean's shape too.
      offset: () => reshape(sumDy, mean.shape),
    };
  };
}

const originalKernels = new Map<string, KernelConfig>();
const originalGradients = new Map<string, GradConfig>();

function overrideGradient(kernelName: string, make: (stock: GradConfig["gradFunc"]) => GradConfig["gradFunc"]): void {
  if (originalGradients.has(kernelName)) return;
  const stock = getGradient(kernelName);
  if (stock === undefined) throw new Error(`no gradient is registered for ${kernelName}`);
  originalGradients.set(kernelName, stock);
  const fast = make(stock.gradFunc);
  registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => (getBackend() === "wasm" ? fast : stock.gradFunc)(dy, saved, attrs),
  });
}

/**
 * Replaces the wasm kernels and gradients above, registers HIWL_KERNELS, and installs the
 * patches of fused-layers.ts. Idempotent; may run before or after the wasm backend is
 * initialised (each override keeps the original's setupFunc).
 */
export function registerWasmFastKernels(): void {
  for (const [kernelName, fast] of KERNEL_OVERRIDES) {
    if (originalKernels.has(kernelName)) continue;
    const original = getKernel(kernelName, "wasm") as KernelConfig | undefined;
    if (original === undefined) throw new Error(`wasm's ${kernelName} kernel is not registered`);
    originalKernels.set(kernelName, original);
    unregisterKernel(kernelName, "wasm");
    registerKernel({ ...original, kernelFunc: (args) => fast(args, original.kernelFunc) });
  }
  for (const [kernelName, run] of NEW_KERNELS) {
    if (getKernel(kernelName, "wasm") !== undefined) continue;
    registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, backend, attrs }) => {
        const simd = simdKernels(backend as KernelBackend);
        if (simd === undefined) throw new Error(`${kernelName} needs the wasm SIMD kernels, which did not build here`);
        return run(simd, inputs as Record<string, TensorInfo>, attrs as Record<string, unknown>);
      },
    });
    registeredNewKernels.push(kernelName);
  }
  overrideGradient(Sum, () => reductionGradient("sum"));
  overrideGradient(Mean, () => reductionGradient("mean"));
  overrideGradient(FusedBatchNorm, fusedBatchNormGradient);
  installFusedLayers();
}

/** Restores wasm's own kernels, tfjs-core's gradients and the patched classes (for comparisons and tests). */
export function unregisterWasmFastKernels(): void {
  for (const [kernelName, original] of originalKernels) {
    unregisterKernel(kernelName, "wasm");
    registerKernel(original);
  }
  originalKernels.clear();
  for (const kernelName of registeredNewKernels) unregisterKernel(kernelName, "wasm");
  registeredNewKernels.length = 0;
  for (const config of originalGradients.values()) registerGradient(config);
  originalGradients.clear();
  uninstallFusedLayers();
}

/** The wasm kernels and the gradients this module replaces (for tests). */
export const WASM_FAST_KERNEL_NAMES = KERNEL_OVERRIDES.map(([name]) => name);
export const WASM_FAST_GRADIENT_NAMES = [Sum, Mean, FusedBatchNorm];
