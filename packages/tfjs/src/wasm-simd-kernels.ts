/**
 * Hand-written WebAssembly SIMD kernels for what XNNPACK has no fast operator for, run on the
 * tfjs wasm backend's own heap: the module imports the backend's WebAssembly.Memory, and
 * kernels take the byte offsets of tensor buffers (`dataIdMap.get(dataId).memoryOffset`).
 * - matrix products for 1x1 convolutions, forward and input gradient (wasm-pointwise.ts);
 * - convolution gradients: depthwise filter and input (tfjs has none; the XNNPACK-based
 *   versions in wasm-gradients.ts need copies and a fresh XNNPACK operator per call), the
 *   filter gradient of any convolution without transposes or weight packing, and the input
 *   gradient of non-1x1 convolutions (wasm's own is a scalar loop);
 * - one-pass per-channel batch-norm passes and the swish gradient (fused-layers.ts);
 * - one-pass Adam and momentum-SGD steps (tfjs runs ~14 and ~4 ops per variable).
 * Every kernel writes fresh outputs and never aliases its inputs.
 *
 * The kernels are written in the WebAssembly text format, in kernels.wat (read it for what each
 * computes and how), and assembled at build time into dist/kernels.wasm and, with fused
 * multiply-adds, dist/kernels-fma.wasm (`npm run build -w @hiwl/tfjs`; npm install and turbo's
 * builds run it). A missing binary is an error, thrown on first use with the command that
 * builds it.
 *
 * Where the module cannot be used (no SIMD support, a wasm backend without an exported memory
 * or with a shared one) or is still loading, `simdKernels` returns undefined and callers keep
 * their XNNPACK-based versions.
 */
import { util, type KernelBackend, type TensorInfo } from "@tensorflow/tfjs-core";
import type { AdamStepAttrs, MomentumStepAttrs } from "./hiwl-kernels.ts";

/** A new float32 tensor on the wasm backend (uninitialised). */
export function allocate(backend: KernelBackend, shape: number[]): TensorInfo {
  return (backend as unknown as { makeOutput(shape: number[], dtype: "float32"): TensorInfo }).makeOutput(shape, "float32");
}

/** The functions kernels.wat exports; each takes byte offsets and sizes (i32) or hyperparameters (f32). */
const KERNEL_EXPORTS = [
  "matMul",
  "transpose",
  "depthwiseFilterGradient",
  "pointwiseFilterGradient",
  "pointwiseFilterGradientTiled",
  "convFilterGradient",
  "depthwiseInputGradient",
  "convInputGradient",
  "normalize",
  "centeredSquareSums",
  "batchNormGradientSums",
  "batchNormInputGradient",
  "swishGradient",
  "adam",
  "momentum",
] as const;
type Exports = Record<(typeof KERNEL_EXPORTS)[number], (...args: number[]) => void>;

/** Where a convolution's window starts: strides and the top/left padding. */
export interface ConvGeometry {
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

export interface SimdKernels {
  /** Which build of kernels.wat these are. */
  readonly build: SimdBuild;
  /**
   * out [.., N] = a [.., K] times b [K, N] (+ bias [N]), a and out viewed as rows of their last
   * dimension and b as [K, N] whatever its rank (a 1x1 filter [1,1,K,N]). Reads b as it lies:
   * no packing, which XNNPACK redoes for every new weight tensor.
   */
  matMul(a: TensorInfo, b: TensorInfo, bias: TensorInfo | undefined, out: TensorInfo): void;
  /** out [C, R] = x viewed as [R, C] (C = its last dimension), transposed. */
  transpose(x: TensorInfo, out: TensorInfo): void;
  /** The depthwise filter gradient [kh,kw,C,1] of x [B,H,W,C] and dy [B,oh,ow,C], into out. */
  depthwiseFilterGradient(x: TensorInfo, dy: TensorInfo, out: TensorInfo, geometry: ConvGeometry): void;
  /** The depthwise input gradient [B,H,W,C] of dy [B,oh,ow,C] and filter [kh,kw,C,1], into dx. */
  depthwiseInputGradient(dy: TensorInfo, filter: TensorInfo, dx: TensorInfo, geometry: ConvGeometry): void;
  /** The input gradient [B,H,W,ci] of dy [B,oh,ow,co] and filter [kh,kw,ci,co], into dx. */
  convInputGradient(dy: TensorInfo, filter: TensorInfo, dx: TensorInfo, geometry: ConvGeometry): void;
  /**
   * Per-channel kernels over x viewed as [M, C] (C = its last dimension) with [C] vectors; each
   * returns a new tensor. `normalize`: (x - mean) * k + beta.
   */
  normalize(x: TensorInfo, mean: TensorInfo, k: TensorInfo, beta: TensorInfo): TensorInfo;
  /** [C]: sum over rows of (x - mean)^2. */
  centeredSquareSums(x: TensorInfo, mean: TensorInfo): TensorInfo;
  /** [2, C]: sum over rows of dy, and of dy * (x - mean). */
  batchNormGradientSums(dy: TensorInfo, x: TensorInfo, mean: TensorInfo): TensorInfo;
  /** (dy - (x - mean) * a - b) * k, shaped like dy. */
  batchNormInputGradient(
    dy: TensorInfo,
    x: TensorInfo,
    mean: TensorInfo,
    a: TensorInfo,
    b: TensorInfo,
    k: TensorInfo,
  ): TensorInfo;
  /** dy * s * (1 + x - x*s), shaped like dy. */
  swishGradient(dy: TensorInfo, x: TensorInfo, s: TensorInfo): TensorInfo;
  /** One Adam step (see $adam in kernels.wat): new [w, m, v] tensors. */
  adam(
    w: TensorInfo,
    g: TensorInfo,
    m: TensorInfo,
    v: TensorInfo,
    hyper: AdamStepAttrs,
  ): [TensorInfo, TensorInfo, TensorInfo];
  /** One momentum-SGD step (see $momentum in kernels.wat): new [w, accumulation] tensors. */
  momentum(
    w: TensorInfo,
    g: TensorInfo,
    accumulation: TensorInfo,
    hyper: MomentumStepAttrs,
  ): [TensorInfo, TensorInfo];
  /** The filter gradient [kh,kw,ci,co] of x [B,H,W,ci] and dy [B,oh,ow,co], into out. */
  convFilterGradient(x: TensorInfo, dy: TensorInfo, out: TensorInfo, geometry: ConvGeometry): void;
}

interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

/**
 * The two builds of kernels.wat (scripts/build.mjs): "fma" turns every vector multiply-add into
 * relaxed SIMD's fused multiply-add (one instruction, one rounding; up to a third faster matrix
 * products here), "plain" is WebAssembly SIMD alone, for engines without relaxed SIMD (and
 * Node 20 without --experimental-wasm-relaxed-simd, which install() sets: relaxed-simd.ts).
 */
export type SimdBuild = "fma" | "plain";
const BINARIES: Record<SimdBuild, URL> = {
  fma: new URL("../dist/kernels-fma.wasm", import.meta.url),
  plain: new URL("../dist/kernels.wasm", import.meta.url),
};
const BUILD_COMMAND = "npm run build -w @hiwl/tfjs";

function missingBinary(url: URL, cause: unknown): Error {
  const file = url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
  return new Error(
    `${file} is missing: it is built from src/kernels.wat by \`${BUILD_COMMAND}\` (run it at the repository root; npm install runs it too)`,
    { cause },
  );
}

/** A binary, read synchronously in Node; undefined elsewhere (no node:fs: browsers fetch it). */
function readBinary(url: URL): Uint8Array | undefined {
  const fs = globalThis.process?.getBuiltinModule?.("node:fs");
  if (fs === undefined) return undefined;
  try {
    return fs.readFileSync(url);
  } catch (error) {
    throw (error as { code?: string }).code === "ENOENT" ? missingBinary(url, error) : error;
  }
}

const compiled: Partial<Record<SimdBuild, WebAssembly.Module | null>> = {};
const loading = new Set<SimdBuild>();
let loadError: Error | undefined;

/**
 * A build's compiled module; undefined while it loads, null if this engine cannot run it. Node
 * reads and compiles it synchronously; browsers fetch and compile it in the background (they
 * refuse synchronous compiles of this size on the main thread), and the kernels apply from the
 * next call on. Throws if the binary is missing.
 */
function compiledModule(which: SimdBuild): WebAssembly.Module | null | undefined {
  if (loadError !== undefined) throw loadError;
  if (compiled[which] !== undefined || loading.has(which)) return compiled[which];
  const url = BINARIES[which];
  const bytes = readBinary(url);
  if (bytes === undefined) {
    loading.add(which);
    fetch(url)
      .then(async (response) => {
        if (!response.ok) throw missingBinary(url, new Error(`HTTP ${response.status}`));
        const buffer = await response.arrayBuffer();
        compiled[which] = WebAssembly.validate(buffer) ? await WebAssembly.compile(buffer) : null;
      })
      .catch((error: unknown) => (loadError = error instanceof Error ? error : new Error(String(error))));
    return undefined;
  }
  if (!WebAssembly.validate(bytes as BufferSource)) return (compiled[which] = null);
  return (compiled[which] = new WebAssembly.Module(bytes as BufferSource));
}

/** The fma build where this engine runs it (and it is wanted), else the plain one. */
function chosenModule(): { module: WebAssembly.Module | null | undefined; which: SimdBuild } {
  if (fusedMultiplyAdd) {
    const fma = compiledModule("fma");
    if (fma !== null) return { module: fma, which: "fma" };
  }
  return { module: compiledModule("plain"), which: "plain" };
}

/** The kernels bound to this backend's memory; undefined while compiling, null where impossible. */
function build(backend: WasmBackendLike): SimdKernels | null | undefined {
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const { module, which } = chosenModule();
  if (module == null) return module;
  let instance: WebAssembly.Instance;
  try {
    // Fails against a shared (threaded build's) memory: this module imports an unshared one.
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch {
    return null;
  }
  const missing = KERNEL_EXPORTS.filter((name) => typeof instance.exports[name] !== "function");
  if (missing.length > 0) throw new Error(`${BINARIES[which].pathname.split("/").at(-1)} lacks ${missing.join(", ")}: rebuild it with \`${BUILD_COMMAND}\``);
  const exports = instance.exports as unknown as Exports;
  const offset = (t: TensorInfo) => {
    const data = backend.dataIdMap.get(t.dataId);
    if (data === undefined) throw new Error("tensor data is not on the wasm backend");
    return data.memoryOffset;
  };
  const nhwc = (t: TensorInfo) => t.shape as [number, number, number, number];
  const kernelBackend = backend as unknown as KernelBackend;
  /** [M, C] of a tensor whose last dimension is C. */
  const rowsOf = (t: TensorInfo) => {
    const channels = t.shape.at(-1) ?? 1;
    return [t.shape.reduce((a, b) => a * b, 1) / channels, channels] as const;
  };
  return {
    build: which,
    matMul(a, b, bias, out) {
      const [rows, inner] = rowsOf(a);
      const columns = out.shape.at(-1) ?? 1;
      if (rowsOf(out)[0] !== rows || util.sizeFromShape(b.shape) !== inner * columns || (bias !== undefined && util.sizeFromShape(bias.shape) !== columns)) {
        throw new Error(`matMul: a ${JSON.stringify(a.shape)}, b ${JSON.stringify(b.shape)} and out ${JSON.stringify(out.shape)} do not fit`);
      }
      // Chunks of ~128 KB of a's rows, a multiple of 4.
      const chunk = Math.max(4, Math.floor(32768 / Math.max(1, inner) / 4) * 4);
      exports.matMul(offset(a), offset(b), bias === undefined ? 0 : offset(bias), bias === undefined ? 0 : 1, offset(out), rows, inner, columns, chunk);
    },
    transpose(x, out) {
      const [rows, columns] = rowsOf(x);
      if (out.shape.length !== 2 || out.shape[0] !== columns || out.shape[1] !== rows) {
        throw new Error(`transpose: out ${JSON.stringify(out.shape)} is not [${columns},${rows}]`);
      }
      exports.transpose(offset(x), offset(out), rows, columns);
    },
    normalize(x, mean, k, beta) {
      const out = allocate(kernelBackend, x.shape);
      const [rows, channels] = rowsOf(x);
      exports.normalize(offset(x), offset(mean), offset(k), offset(beta), offset(out), rows, channels);
      return out;
    },
    centeredSquareSums(x, mean) {
      const [rows, channels] = rowsOf(x);
      const out = allocate(kernelBackend, [channels]);
      exports.centeredSquareSums(offset(x), offset(mean), offset(out), rows, channels);
      return out;
    },
    batchNormGradientSums(dy, x, mean) {
      const [rows, channels] = rowsOf(x);
      const out = allocate(kernelBackend, [2, channels]);
      exports.batchNormGradientSums(offset(dy), offset(x), offset(mean), offset(out), rows, channels);
      return out;
    },
    batchNormInputGradient(dy, x, mean, a, b, k) {
      const out = allocate(kernelBackend, dy.shape);
      const [rows, channels] = rowsOf(x);
      exports.batchNormInputGradient(
        offset(dy), offset(x), offset(mean), offset(a), offset(b), offset(k), offset(out), rows, channels,
      );
      return out;
    },
    adam(w, g, m, v, h) {
      const outs = [w, m, v].map((t) => allocate(kernelBackend, t.shape)) as [TensorInfo, TensorInfo, TensorInfo];
      exports.adam(
        offset(w), offset(g), offset(m), offset(v), offset(outs[0]), offset(outs[1]), offset(outs[2]),
        w.shape.reduce((a, b) => a * b, 1),
        h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, 1 - h.accBeta1, 1 - h.accBeta2, h.epsilon, -h.learningRate,
      );
      return outs;
    },
    momentum(w, g, accumulation, h) {
      const outs = [w, accumulation].map((t) => allocate(kernelBackend, t.shape)) as [TensorInfo, TensorInfo];
      exports.momentum(
        offset(w), offset(g), offset(accumulation), offset(outs[0]), offset(outs[1]),
        w.shape.reduce((a, b) => a * b, 1), h.nesterov ? 1 : 0, h.momentum, h.scale,
      );
      return outs;
    },
    swishGradient(dy, x, sig) {
      const out = allocate(kernelBackend, dy.shape);
      exports.swishGradient(offset(dy), offset(x), offset(sig), offset(out), 1, out.shape.reduce((a, b) => a * b, 1));
      return out;
    },
    depthwiseFilterGradient(x, dy, out, g) {
      const [batch, inH, inW, channels] = nhwc(x);
      const [, outH, outW] = nhwc(dy);
      // Channel blocks whose kh*kw accumulator rows fit in ~24 KB of L1.
      const rowBytes = channels * 4;
      const fit = Math.max(64, Math.floor(24576 / (g.kh * g.kw) / 64) * 64);
      exports.depthwiseFilterGradient(
        offset(x), offset(dy), offset(out),
        batch, inH, inW, channels, outH, outW,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
        rowBytes <= fit ? rowBytes : fit,
      );
    },
    depthwiseInputGradient(dy, filter, dx, g) {
      const [batch, inH, inW, channels] = nhwc(dx);
      const [, outH, outW] = nhwc(dy);
      exports.depthwiseInputGradient(
        offset(dy), offset(filter), offset(dx),
        batch, inH, inW, channels, outH, outW,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      );
    },
    convInputGradient(dy, filter, dx, g) {
      const [batch, inH, inW, inC] = nhwc(dx);
      const [, outH, outW, outC] = nhwc(dy);
      exports.convInputGradient(
        offset(dy), offset(filter), offset(dx),
        batch, inH, inW, inC, outH, outW, outC,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      );
    },
    convFilterGradient(x, dy, out, g) {
      const [batch, inH, inW, inC] = nhwc(x);
      const [, outH, outW, outC] = nhwc(dy);
      const pointwise =
        g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
        outH === inH && outW === inW;
      if (pointwise) {
        const positions = batch * inH * inW;
        if (inC % 4 === 0 && outC % 8 === 0) {
          // Chunks of x and dy rows of ~192 KB.
          const chunk = Math.max(16, Math.floor(196608 / ((inC + outC) * 4)));
          exports.pointwiseFilterGradientTiled(offset(x), offset(dy), offset(out), positions, inC, outC, chunk);
        } else {
          exports.pointwiseFilterGradient(offset(x), offset(dy), offset(out), positions, inC, outC);
        }
        return;
      }
      exports.convFilterGradient(
        offset(x), offset(dy), offset(out),
        batch, inH, inW, inC, outH, outW, outC,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      );
    },
  };
}

let enabled = true;
let fusedMultiplyAdd = true;
const instances = new WeakMap<object, Partial<Record<SimdBuild, SimdKernels | null>>>();

/**
 * Turns the SIMD kernels off (callers then use their XNNPACK-based versions) or back on: for
 * tests of those fallbacks and for benchmarks.
 */
export function setWasmSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

/**
 * Whether to use the fused multiply-add build where the engine runs it (the default) or the
 * plain one everywhere: for the bit-exact regression fixture, whose outputs are the plain
 * build's, and for comparisons.
 */
export function setFusedMultiplyAdd(on: boolean): void {
  fusedMultiplyAdd = on;
}

/** The SIMD kernels bound to this wasm backend's memory, or undefined where unavailable. */
export function simdKernels(backend: KernelBackend): SimdKernels | undefined {
  if (!enabled) return undefined;
  const preference = fusedMultiplyAdd ? "fma" : "plain";
  let byPreference = instances.get(backend);
  if (byPreference === undefined) instances.set(backend, (byPreference = {}));
  let kernels = byPreference[preference];
  if (kernels === undefined) {
    kernels = build(backend as unknown as WasmBackendLike);
    if (kernels !== undefined) byPreference[preference] = kernels;
  }
  return kernels ?? undefined;
}
