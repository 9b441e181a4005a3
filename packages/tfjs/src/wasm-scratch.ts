/**
 * Helpers for wasm kernels composed from other wasm kernels: they call wasm's own kernelFuncs
 * on TensorInfos (engine-level tf ops inside a kernel crash within tf.grads and model.fit) and
 * free every intermediate they do not return.
 */
import {
  BatchMatMul,
  getKernel,
  Reshape,
  Slice,
  Transpose,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";

type Shape4 = [number, number, number, number];

/**
 * Runs wasm kernels and remembers every TensorInfo they return: anything not handed back to
 * the engine must be released with disposeData, or wasm heap memory (and XNNPACK operators
 * cached per filter tensor) leak on every training step.
 */
export class WasmScratch {
  private readonly intermediates: TensorInfo[] = [];

  constructor(private readonly backend: KernelBackend) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: object): TensorInfo {
    const out = wasmKernel(kernelName)({
      inputs,
      backend: this.backend,
      attrs: attrs as NamedAttrMap,
    }) as TensorInfo;
    this.intermediates.push(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run(Reshape, { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run(Transpose, { x }, { perm });
  }

  /**
   * a [m,k] times b [k,n]. wasm hands BatchMatMul to XNNPACK only without transpose flags
   * and batch 1; with either flag it runs a scalar loop (~10x slower here), so callers
   * transpose explicitly.
   */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
  }

  /**
   * Rows [top, top+height) and columns [left, left+width) of an NHWC tensor. Viewed as
   * [B, H, W*C] each kept row is one contiguous run, which keeps wasm's JavaScript Slice fast.
   */
  cropRowsCols(x: TensorInfo, top: number, left: number, height: number, width: number): TensorInfo {
    const [batch, h, w, c] = x.shape as Shape4;
    if (top === 0 && left === 0 && height === h && width === w) return x;
    const rows = this.reshape(x, [batch, h, w * c]);
    const cropped = this.run(
      Slice,
      { x: rows },
      { begin: [0, top, left * c], size: [batch, height, width * c] },
    );
    return this.reshape(cropped, [batch, height, width, c]);
  }

  /** Frees every intermediate except `result`, which the engine takes over. */
  release(result: TensorInfo | undefined): void {
    for (const info of this.intermediates) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
  }
}

function wasmKernel(kernelName: string): KernelFunc {
  const config = getKernel(kernelName, "wasm") as KernelConfig | undefined;
  if (config === undefined) {
    throw new Error(`wasm gradient kernels need wasm's ${kernelName} kernel, which is not registered`);
  }
  return config.kernelFunc;
}

export function withScratch(backend: KernelBackend, body: (ops: WasmScratch) => TensorInfo): TensorInfo {
  const ops = new WasmScratch(backend);
  let result: TensorInfo | undefined;
  try {
    result = body(ops);
    return result;
  } finally {
    ops.release(result);
  }
}
