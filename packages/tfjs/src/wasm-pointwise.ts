/**
 * 1x1 stride-1 convolutions on the wasm backend as the SIMD kernels' matrix product, forward and
 * input gradient. XNNPACK packs a convolution's or matrix product's weights into a new operator
 * for every filter tensor it has not seen, and training makes new filters every step: at
 * EfficientNet-B0's head (320 -> 1280 channels) packing cost 5.0 ms where the product with
 * packed weights took 0.20 ms, and B0 has 64 pointwise convolutions, each packed twice a step
 * (forward, and the input gradient's product with the transposed filter). The SIMD product
 * reads the filter as it lies and is as fast as XNNPACK's product with weights packed before
 * (docs/benchmarks.md), so the batch-independent part of a training step shrinks.
 */
import {
  backend_util,
  type Conv2DAttrs,
  type FusedConv2DAttrs,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { allocate, simdKernels, type SimdKernels } from "./wasm-simd-kernels.ts";

type Shape4 = [number, number, number, number];
type KernelArgs = Parameters<KernelFunc>[0];

/** A 1x1, stride-1, unpadded convolution is a plain matrix product over the N*H*W pixels. */
export function isPointwise(info: backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight === info.inHeight &&
    info.outWidth === info.inWidth
  );
}

/**
 * Conv2D and FusedConv2D (bias and a linear activation only: the fused activations need their
 * own passes) of a pointwise NHWC convolution as one SIMD product; anything else, or no SIMD
 * kernels, goes to wasm's own kernel.
 */
export function pointwiseConv2D(args: KernelArgs, original: KernelFunc): TensorInfo | TensorInfo[] {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const attrs = args.attrs as unknown as Conv2DAttrs & Partial<FusedConv2DAttrs>;
  const simd = simdKernels(args.backend as KernelBackend);
  if (
    simd === undefined ||
    x === undefined ||
    filter === undefined ||
    preluActivationWeights !== undefined ||
    (attrs.activation !== undefined && attrs.activation !== "linear") ||
    attrs.dataFormat !== "NHWC" ||
    [x, filter, bias].some((t) => t !== undefined && t.dtype !== "float32") ||
    x.shape.length !== 4 ||
    filter.shape.length !== 4
  ) {
    return original(args);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const columns = info.outChannels;
  if (!isPointwise(info) || (bias !== undefined && bias.shape.reduce((a, b) => a * b, 1) !== columns)) {
    return original(args);
  }
  const out = allocate(args.backend as KernelBackend, info.outShape);
  simd.matMul(x, filter, bias, out);
  return out;
}

/** dX = dY W^T of a pointwise convolution: W [1,1,ci,co] transposed to [co,ci], then the SIMD product. */
export function pointwiseInputGradient(
  simd: SimdKernels,
  backend: KernelBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: number[],
): TensorInfo {
  const [, , inChannels, outChannels] = filter.shape as Shape4;
  const filterT = allocate(backend, [outChannels, inChannels]);
  const dx = allocate(backend, inputShape);
  try {
    simd.transpose(filter, filterT);
    simd.matMul(dy, filterT, undefined, dx);
  } finally {
    backend.disposeData(filterT.dataId);
  }
  return dx;
}
