/**
 * Gradient kernels the wasm backend of TensorFlow.js 4.22 lacks, so that models can train on
 * it. Each one is assembled from wasm kernels that XNNPACK runs fast, called directly on
 * TensorInfos: composing engine-level tf ops inside a kernel crashes within tf.grads and
 * model.fit, and tfjs-layers trains through tf.fused.* whose gradients call these kernels by
 * name, so registering gradients alone would not help.
 *
 * Where the hand-written SIMD kernels of wasm-simd-kernels.ts are available and faster, the
 * kernels below hand over to them; the XNNPACK-based versions remain the fallback (browsers'
 * threaded wasm build, no SIMD) and the choice for the few shapes where they win.
 */
import "@tensorflow/tfjs-backend-wasm";
import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  getKernel,
  PadV2,
  registerKernel,
  Reverse,
  Sum,
  unregisterKernel,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { enableRelaxedSimd } from "./relaxed-simd.ts";
import { installTapeSaves } from "./tape-saves.ts";
import { registerWasmFastKernels } from "./wasm-fast-kernels.ts";
import { isPointwise, pointwiseInputGradient } from "./wasm-pointwise.ts";
import { withScratch } from "./wasm-scratch.ts";
import { allocate, simdKernels, type ConvGeometry } from "./wasm-simd-kernels.ts";

type Shape4 = [number, number, number, number];
type KernelArgs = Parameters<KernelFunc>[0];

function requireNHWC(kernelName: string, dataFormat: string): void {
  if (dataFormat !== "NHWC") {
    throw new Error(`${kernelName} on wasm supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
}

function requireNoDilation(kernelName: string, info: backend_util.Conv2DInfo): void {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(
      `${kernelName} on wasm supports dilations 1 only, got [${info.dilationHeight}, ${info.dilationWidth}]`,
    );
  }
}

function explicitPadding(top: number, bottom: number, left: number, right: number): backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** The window geometry the SIMD kernels take. */
function geometry(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    kh: info.filterHeight,
    kw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * The part of the forward input a filter gradient reads: rows [0, needed - top) where the
 * last output row's window ends at needed = (outHeight-1)*stride + filterHeight in padded
 * coordinates. Rows past it (a 'valid' or stride remainder) are cropped, missing ones become
 * bottom padding.
 */
function filterGradientWindow(info: backend_util.Conv2DInfo) {
  const neededRows = (info.outHeight - 1) * info.strideHeight + info.filterHeight - info.padInfo.top;
  const neededCols = (info.outWidth - 1) * info.strideWidth + info.filterWidth - info.padInfo.left;
  const rows = Math.min(info.inHeight, neededRows);
  const cols = Math.min(info.inWidth, neededCols);
  return {
    rows,
    cols,
    padding: explicitPadding(info.padInfo.top, neededRows - rows, info.padInfo.left, neededCols - cols),
  };
}

/**
 * dW[kh,kw,ci,co] = sum over b,y,x of X[b, y*s+kh, x*s+kw, ci] * dY[b,y,x,co]: one Conv2D of
 * X as [ci,H,W,B] with dY as an [oh,ow,B,co] filter, dilated by the forward stride.
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  requireNHWC(Conv2DBackpropFilter, dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  // The SIMD kernel wins for 1x1 convolutions and for few input channels (a network's stem);
  // XNNPACK's Conv2D below for wider k x k ones.
  const simd = simdKernels(backend as KernelBackend);
  if (simd !== undefined && x.dtype === "float32" && dy.dtype === "float32" && (isPointwise(info) || info.inChannels <= 8)) {
    const out = allocate(backend as KernelBackend, filterShape);
    simd.convFilterGradient(x, dy, out, geometry(info));
    return out;
  }
  return withScratch(backend as KernelBackend, (ops) => {
    if (isPointwise(info)) {
      const pixels = info.batchSize * info.inHeight * info.inWidth;
      const xT = ops.transpose(ops.reshape(x, [pixels, info.inChannels]), [1, 0]);
      return ops.reshape(ops.matMul(xT, ops.reshape(dy, [pixels, info.outChannels])), filterShape);
    }
    const window = filterGradientWindow(info);
    const xWindow = ops.cropRowsCols(x, 0, 0, window.rows, window.cols);
    const images = ops.transpose(xWindow, [3, 1, 2, 0]);
    const filter = ops.transpose(dy, [1, 2, 0, 3]);
    const grad = ops.run(
      Conv2D,
      { x: images, filter },
      {
        strides: 1,
        pad: window.padding,
        dataFormat: "NHWC",
        dilations: [info.strideHeight, info.strideWidth],
      },
    );
    return ops.transpose(grad, [1, 2, 0, 3]);
  });
}

/**
 * Same sum as the regular filter gradient but per channel: folding the batch into the
 * channels turns it into one DepthwiseConv2dNative, then the batch is summed out.
 */
function depthwiseConv2dNativeBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  requireNoDilation(DepthwiseConv2dNativeBackpropFilter, info);
  const [kh, kw, channels, multiplier] = filterShape;
  const batch = info.batchSize;
  const simd = simdKernels(backend as KernelBackend);
  if (simd !== undefined && multiplier === 1 && x.dtype === "float32" && dy.dtype === "float32") {
    const out = allocate(backend as KernelBackend, filterShape);
    simd.depthwiseFilterGradient(x, dy, out, geometry(info));
    return out;
  }
  return withScratch(backend as KernelBackend, (ops) => {
    const window = filterGradientWindow(info);
    const xWindow = ops.cropRowsCols(x, 0, 0, window.rows, window.cols);
    const folded = ops.reshape(ops.transpose(xWindow, [1, 2, 0, 3]), [
      1,
      window.rows,
      window.cols,
      batch * channels,
    ]);
    const filter = ops.reshape(ops.transpose(dy, [1, 2, 0, 3]), [
      info.outHeight,
      info.outWidth,
      batch * channels,
      multiplier,
    ]);
    const perImage = ops.run(
      DepthwiseConv2dNative,
      { x: folded, filter },
      {
        strides: 1,
        pad: window.padding,
        dilations: [info.strideHeight, info.strideWidth],
      },
    );
    const summed = ops.run(
      Sum,
      { x: ops.reshape(perImage, [kh * kw, batch, channels * multiplier]) },
      { axis: 1, keepDims: false },
    );
    return ops.reshape(summed, filterShape);
  });
}

/**
 * dX is the full correlation of dY, with stride-1 zeros inserted between its rows and
 * columns, and the spatially reversed filter: one stride-1 DepthwiseConv2dNative.
 */
function depthwiseConv2dNativeBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as Shape4,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  requireNoDilation(DepthwiseConv2dNativeBackpropInput, info);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  // The SIMD kernel wins for strided convolutions and for 64+ channels; below that the
  // per-tap overhead of scattering few channels makes XNNPACK's depthwise convolution faster.
  const simd = simdKernels(backend as KernelBackend);
  const simdWins = sh > 1 || sw > 1 || inChannels >= 64;
  if (simd !== undefined && simdWins && outChannels === inChannels && dy.dtype === "float32" && filter.dtype === "float32") {
    const dx = allocate(backend as KernelBackend, inputShape);
    simd.depthwiseInputGradient(dy, filter, dx, geometry(info));
    return dx;
  }
  return withScratch(backend as KernelBackend, (ops) => {
    let spread = dy;
    if (sh > 1 || sw > 1) {
      const cells = ops.reshape(dy, [batchSize, outHeight, 1, outWidth, 1, outChannels]);
      const padded = ops.run(
        PadV2,
        { x: cells },
        {
          paddings: [
            [0, 0],
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      spread = ops.reshape(padded, [batchSize, outHeight * sh, outWidth * sw, outChannels]);
    }
    // Padding that the full correlation needs around the spread dY; a negative amount means
    // rows that reach no input pixel (trailing inserted zeros, or large explicit pads).
    const beforeRows = kh - 1 - info.padInfo.top;
    const beforeCols = kw - 1 - info.padInfo.left;
    const afterRows = inHeight + info.padInfo.top - outHeight * sh;
    const afterCols = inWidth + info.padInfo.left - outWidth * sw;
    const firstRow = Math.max(0, -beforeRows);
    const firstCol = Math.max(0, -beforeCols);
    const cropped = ops.cropRowsCols(
      spread,
      firstRow,
      firstCol,
      outHeight * sh + Math.min(0, afterRows) - firstRow,
      outWidth * sw + Math.min(0, afterCols) - firstCol,
    );
    const reversed = ops.run(Reverse, { x: filter }, { dims: [0, 1] });
    const grad = ops.run(
      DepthwiseConv2dNative,
      { x: cropped, filter: ops.reshape(reversed, [kh, kw, outChannels, 1]) },
      {
        strides: 1,
        pad: explicitPadding(
          Math.max(0, beforeRows),
          Math.max(0, afterRows),
          Math.max(0, beforeCols),
          Math.max(0, afterCols),
        ),
        dilations: 1,
      },
    );
    if (outChannels === inChannels) return grad;
    const multiplier = outChannels / inChannels;
    const split = ops.reshape(grad, [batchSize, inHeight, inWidth, inChannels, multiplier]);
    return ops.run(Sum, { x: split }, { axis: 4, keepDims: false });
  });
}

/** wasm's own Conv2DBackpropInput: a scalar C++ loop, kept for everything but 1x1 stride 1. */
let generalConv2DBackpropInput: KernelFunc | undefined;

/**
 * For a pointwise convolution dX = dY W^T: the SIMD product (wasm-pointwise.ts), or one XNNPACK
 * matrix product instead of the loop.
 */
function conv2DBackpropInput(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as Conv2DBackpropInputAttrs;
  const info =
    dataFormat === "NHWC"
      ? backend_util.computeConv2DInfo(
          inputShape,
          filter.shape as Shape4,
          strides,
          1,
          pad,
          dimRoundingMode,
          false,
          "channelsLast",
        )
      : undefined;
  const simd = dy.dtype === "float32" && filter.dtype === "float32" ? simdKernels(backend as KernelBackend) : undefined;
  if (info === undefined || !isPointwise(info)) {
    if (info !== undefined && simd !== undefined) {
      const dx = allocate(backend as KernelBackend, inputShape);
      simd.convInputGradient(dy, filter, dx, geometry(info));
      return dx;
    }
    if (generalConv2DBackpropInput === undefined) {
      throw new Error("registerWasmGradientKernels() has not captured wasm's Conv2DBackpropInput");
    }
    return generalConv2DBackpropInput(args);
  }
  if (simd !== undefined) return pointwiseInputGradient(simd, backend as KernelBackend, dy, filter, inputShape);
  return withScratch(backend as KernelBackend, (ops) => {
    const pixels = info.batchSize * info.inHeight * info.inWidth;
    const filterT = ops.transpose(ops.reshape(filter, [info.inChannels, info.outChannels]), [1, 0]);
    return ops.reshape(ops.matMul(ops.reshape(dy, [pixels, info.outChannels]), filterT), inputShape);
  });
}

const MISSING_KERNELS: ReadonlyArray<readonly [string, KernelFunc]> = [
  [Conv2DBackpropFilter, conv2DBackpropFilter],
  [DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropFilter],
  [DepthwiseConv2dNativeBackpropInput, depthwiseConv2dNativeBackpropInput],
];

/**
 * Registers the missing wasm gradient kernels, the faster pointwise Conv2DBackpropInput and
 * the faster kernels and gradients of wasm-fast-kernels.ts: everything training on wasm needs.
 * Also turns on relaxed SIMD where Node has it behind a flag (relaxed-simd.ts), so the SIMD
 * kernels' fused multiply-add build loads, and saves the tensors gradients need without a
 * kernel each (tape-saves.ts). Idempotent; may run before or after the wasm backend is
 * initialised.
 */
export function registerWasmGradientKernels(): void {
  enableRelaxedSimd();
  installTapeSaves();
  registerWasmFastKernels();
  for (const [kernelName, kernelFunc] of MISSING_KERNELS) {
    if (getKernel(kernelName, "wasm") === undefined) {
      registerKernel({ kernelName, backendName: "wasm", kernelFunc });
    }
  }
  if (generalConv2DBackpropInput === undefined) {
    const original = getKernel(Conv2DBackpropInput, "wasm") as KernelConfig | undefined;
    if (original === undefined) {
      throw new Error("wasm's Conv2DBackpropInput kernel is not registered");
    }
    generalConv2DBackpropInput = original.kernelFunc;
    unregisterKernel(Conv2DBackpropInput, "wasm");
    // The original setupFunc binds its C++ entry point; it must still run if the wasm
    // backend is initialised after this call.
    registerKernel({ ...original, kernelFunc: conv2DBackpropInput });
  }
}
