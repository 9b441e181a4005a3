/**
 * The project's WebGPU kernels for the two filter gradients that took ~90% of the GPU time of
 * a training step in tfjs-backend-webgpu 4.22 (docs/gpu.md). Its versions give each filter
 * element one thread that walks the whole batch alone: a 1x1 convolution of 16 -> 96 channels
 * at batch 64, 32x32 px is 1,536 threads each summing 65,536 products one after another.
 *
 * Both gradients are sums over the M = batch x output height x output width positions. Here
 * M is split into chunks summed by separate workgroups in parallel ("split-K"), each writing
 * its partial filter, and a second pass adds the partials. Conv2DBackpropFilter is, per
 * filter tap, the matrix product X_tap^T (inChannels x M) . dY (M x outChannels): tiled
 * through workgroup memory as a GEMM; the depthwise one has no channel mixing, so each
 * thread keeps one (tap, channel) sum over its chunk, reading rows that neighbouring
 * threads read alongside (channels are innermost in NHWC).
 *
 * Registered over tfjs-backend-webgpu's own kernels once that backend has loaded
 * (installWebgpuKernels, called by backend.ts); shapes they do not cover (NCHW) go to the
 * originals. It also adds the kernels of webgpu-fused-kernels.ts, which batch norm, swish and
 * the optimizer steps (fused-layers.ts, fused-optimizers.ts) run on.
 */
import type { WebGPUBackend, WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";
import {
  backend_util,
  Conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter,
  getKernel,
  registerKernel,
  unregisterKernel,
  type Conv2DBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { installFusedLayers } from "./fused-layers.ts";
import { WEBGPU_FUSED_KERNELS } from "./webgpu-fused-kernels.ts";
import { LANES, splitRows, sumPartials } from "./webgpu-programs.ts";

type Shape4 = [number, number, number, number];
type KernelArgs = Parameters<KernelFunc>[0];

/** Side of the GEMM tile: a 16x16 workgroup, one output per thread, 16 rows of M per step. */
const TILE = 16;

/** The geometry both programs read, as uniforms (shapes change per layer; the shader does not). */
function convUniforms(info: backend_util.Conv2DInfo, chunk: number) {
  return [
    { type: "int32", data: [info.batchSize, info.inHeight, info.inWidth] },
    { type: "int32", data: [info.outHeight, info.outWidth] },
    { type: "int32", data: [info.strideHeight, info.strideWidth] },
    { type: "int32", data: [info.dilationHeight, info.dilationWidth] },
    { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
    { type: "int32", data: [info.filterHeight, info.filterWidth] },
    { type: "int32", data: [chunk] },
  ];
}

const CONV_UNIFORMS =
  "batchInHW : vec3<i32>, outHW : vec2<i32>, strides : vec2<i32>, dilations : vec2<i32>, pads : vec2<i32>, filterHW : vec2<i32>, chunk : i32,";

/** The input pixel a filter tap sees from output row m, or -1 where it falls in the padding. */
const INPUT_PIXEL = `
  fn inputPixel(m : i32, tap : i32) -> i32 {
    let outPlane = uniforms.outHW.x * uniforms.outHW.y;
    let b = m / outPlane;
    let rest = m - b * outPlane;
    let oy = rest / uniforms.outHW.y;
    let ox = rest - oy * uniforms.outHW.y;
    let ky = tap / uniforms.filterHW.y;
    let kx = tap - ky * uniforms.filterHW.y;
    let iy = oy * uniforms.strides.x + ky * uniforms.dilations.x - uniforms.pads.x;
    let ix = ox * uniforms.strides.y + kx * uniforms.dilations.y - uniforms.pads.y;
    if (iy < 0 || iy >= uniforms.batchInHW.y || ix < 0 || ix >= uniforms.batchInHW.z) {
      return -1;
    }
    return (b * uniforms.batchInHW.y + iy) * uniforms.batchInHW.z + ix;
  }
`;

/**
 * Partial filter gradients of a convolution: output [splits, taps x in x out]. Workgroup
 * (x, y, z) computes the 16x16 block of (out, in) channels at tap z % taps over chunk z / taps.
 * The loop count is a uniform, so every thread reaches the barriers (WGSL requires it).
 */
class ConvFilterPartialsProgram implements WebGPUProgram {
  variableNames = ["x", "dy"];
  uniforms = CONV_UNIFORMS;
  workgroupSize: [number, number, number] = [TILE, TILE, 1];
  outputShape: number[];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  shaderKey = "hiwlConv2DFilterPartials";

  constructor(info: backend_util.Conv2DInfo, splits: number) {
    const taps = info.filterHeight * info.filterWidth;
    this.outputShape = [splits, taps * info.inChannels * info.outChannels];
    this.dispatch = [Math.ceil(info.outChannels / TILE), Math.ceil(info.inChannels / TILE), taps * splits];
  }

  getUserCode(): string {
    return `
      var<workgroup> xTile : array<array<f32, ${TILE}>, ${TILE}>;
      var<workgroup> dyTile : array<array<f32, ${TILE}>, ${TILE}>;
      ${INPUT_PIXEL}
      fn main() {
        let inChannels = uniforms.xShape.w;
        let outChannels = uniforms.dyShape.w;
        let rows = uniforms.dyShape.x * uniforms.dyShape.y * uniforms.dyShape.z;
        let taps = uniforms.filterHW.x * uniforms.filterHW.y;
        let tap = i32(workgroupId.z) % taps;
        let split = i32(workgroupId.z) / taps;
        let lx = i32(localId.x);
        let ly = i32(localId.y);
        let inBase = i32(workgroupId.y) * ${TILE};
        let outBase = i32(workgroupId.x) * ${TILE};
        let start = split * uniforms.chunk;
        var acc = 0.0;
        for (var step = 0; step < uniforms.chunk / ${TILE}; step++) {
          let m = start + step * ${TILE} + ly;
          var xv = 0.0;
          var dv = 0.0;
          if (m < rows) {
            let pixel = inputPixel(m, tap);
            if (pixel >= 0 && inBase + lx < inChannels) {
              xv = x[pixel * inChannels + inBase + lx];
            }
            if (outBase + lx < outChannels) {
              dv = dy[m * outChannels + outBase + lx];
            }
          }
          xTile[ly][lx] = xv;
          dyTile[ly][lx] = dv;
          workgroupBarrier();
          for (var k = 0; k < ${TILE}; k++) {
            acc = fma(xTile[k][ly], dyTile[k][lx], acc);
          }
          workgroupBarrier();
        }
        let inC = inBase + ly;
        let outC = outBase + lx;
        if (inC < inChannels && outC < outChannels) {
          setOutputAtIndex(split * uniforms.outShape.y + (tap * inChannels + inC) * outChannels + outC, acc);
        }
      }
    `;
  }
}

/**
 * Partial filter gradients of a depthwise convolution: output [splits, taps x channels x
 * multiplier]. Thread x of workgroup (x, tap, split) sums output channel x's products over its
 * chunk; output channel o reads input channel o / multiplier.
 */
class DepthwiseFilterPartialsProgram implements WebGPUProgram {
  variableNames = ["x", "dy"];
  uniforms = CONV_UNIFORMS;
  workgroupSize: [number, number, number] = [LANES, 1, 1];
  outputShape: number[];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  shaderKey = "hiwlDepthwiseFilterPartials";

  constructor(info: backend_util.Conv2DInfo, splits: number) {
    const taps = info.filterHeight * info.filterWidth;
    this.outputShape = [splits, taps * info.outChannels];
    this.dispatch = [Math.ceil(info.outChannels / LANES), taps, splits];
  }

  getUserCode(): string {
    return `
      ${INPUT_PIXEL}
      fn main() {
        let inChannels = uniforms.xShape.w;
        let outChannels = uniforms.dyShape.w;
        let multiplier = outChannels / inChannels;
        let rows = uniforms.dyShape.x * uniforms.dyShape.y * uniforms.dyShape.z;
        let outC = i32(globalId.x);
        let tap = i32(workgroupId.y);
        let split = i32(workgroupId.z);
        if (outC >= outChannels) {
          return;
        }
        let inC = outC / multiplier;
        let start = split * uniforms.chunk;
        let end = min(start + uniforms.chunk, rows);
        var acc = 0.0;
        for (var m = start; m < end; m++) {
          let pixel = inputPixel(m, tap);
          if (pixel >= 0) {
            acc = fma(x[pixel * inChannels + inC], dy[m * outChannels + outC], acc);
          }
        }
        setOutputAtIndex(split * uniforms.outShape.y + tap * outChannels + outC, acc);
      }
    `;
  }
}

type PartialsProgram = new (info: backend_util.Conv2DInfo, splits: number) => WebGPUProgram;

/** Runs a partials program over M cut into chunks, adds the partials, shapes the filter. */
function filterGradient(
  backend: WebGPUBackend,
  Program: PartialsProgram,
  info: backend_util.Conv2DInfo,
  x: TensorInfo,
  dy: TensorInfo,
  baseWorkgroups: number,
  multipleOf: number,
): TensorInfo {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const { splits, chunk } = splitRows(rows, baseWorkgroups, multipleOf);
  const partials = backend.runWebGPUProgram(new Program(info, splits), [x, dy], "float32", convUniforms(info, chunk));
  return sumPartials(backend, partials, info.filterShape);
}

function conv2DBackpropFilter(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat !== "NHWC") return original(args);
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, "channelsLast");
    const base = Math.ceil(info.outChannels / TILE) * Math.ceil(info.inChannels / TILE) * info.filterHeight * info.filterWidth;
    return filterGradient(args.backend as WebGPUBackend, ConvFilterPartialsProgram, info, x, dy, base, TILE);
  };
}

function depthwiseConv2dNativeBackpropFilter(): KernelFunc {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, dilations, pad, dimRoundingMode, true);
    const base = Math.ceil(info.outChannels / LANES) * info.filterHeight * info.filterWidth;
    return filterGradient(args.backend as WebGPUBackend, DepthwiseFilterPartialsProgram, info, x, dy, base, 1);
  };
}

/** Each kernel this module replaces, and its replacement given the original. */
const REPLACEMENTS: ReadonlyArray<[string, (original: KernelFunc) => KernelFunc]> = [
  [Conv2DBackpropFilter, conv2DBackpropFilter],
  [DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropFilter],
];

const originals = new Map<string, KernelConfig>();

/**
 * Replaces tfjs-backend-webgpu's kernels with this module's and adds those of
 * webgpu-fused-kernels.ts (with the patches that use them); tfjs-backend-webgpu must have
 * loaded. Idempotent.
 */
export function installWebgpuKernels(): void {
  for (const [kernelName, kernelFunc] of WEBGPU_FUSED_KERNELS) {
    if (getKernel(kernelName, "webgpu") === undefined) registerKernel({ kernelName, backendName: "webgpu", kernelFunc });
  }
  // BatchNormalization, swish and the optimizers use them (each falls back where they are missing).
  installFusedLayers();
  for (const [kernelName, replacement] of REPLACEMENTS) {
    if (originals.has(kernelName)) continue;
    const original = getKernel(kernelName, "webgpu") as KernelConfig | undefined;
    if (original === undefined) throw new Error(`tfjs-backend-webgpu's ${kernelName} kernel is not registered`);
    originals.set(kernelName, original);
    unregisterKernel(kernelName, "webgpu");
    registerKernel({ ...original, kernelFunc: replacement(original.kernelFunc) });
  }
}

/**
 * Puts tfjs-backend-webgpu's own kernels back and removes the added ones, so that batch norm,
 * swish and the optimizers run tfjs's own code on webgpu: for benchmarks and comparisons.
 */
export function uninstallWebgpuKernels(): void {
  for (const [kernelName] of WEBGPU_FUSED_KERNELS) if (getKernel(kernelName, "webgpu") !== undefined) unregisterKernel(kernelName, "webgpu");
  for (const [kernelName, original] of originals) {
    unregisterKernel(kernelName, "webgpu");
    registerKernel(original);
  }
  originals.clear();
}
