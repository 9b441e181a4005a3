/**
 * What the project's WebGPU programs share: one thread per output value (ElementwiseProgram),
 * and sums over many rows cut into chunks that separate workgroups add up in parallel, whose
 * partial sums a second pass adds (splitRows, SumPartialsProgram).
 */
import type { WebGPUBackend, WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";
import { getKernel, Reshape, util, type TensorInfo } from "@tensorflow/tfjs-core";

/** Threads per workgroup of the depthwise and reduction passes. */
export const LANES = 64;
/**
 * Enough parallel work to fill a large GPU (an H200 has 132 multiprocessors) without making
 * the partial sums the second pass adds larger than the work they split.
 */
const TARGET_WORKGROUPS = 1024;
/** A chunk of M shorter than this is not worth another partial. */
const MIN_CHUNK = 64;

/** How M is cut: `splits` chunks of `chunk` rows (the last may be short). */
export function splitRows(rows: number, baseWorkgroups: number, multipleOf: number): { splits: number; chunk: number } {
  const wanted = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / baseWorkgroups), Math.ceil(rows / MIN_CHUNK)));
  const chunk = Math.ceil(Math.ceil(rows / wanted) / multipleOf) * multipleOf;
  return { splits: Math.ceil(rows / chunk), chunk };
}

/** Programs with one thread per output value: `main(index)`, uniforms.size values in all. */
export abstract class ElementwiseProgram implements WebGPUProgram {
  abstract variableNames: string[];
  abstract uniforms: string;
  abstract shaderKey: string;
  workgroupSize: [number, number, number] = [LANES, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];

  constructor(shape: readonly number[]) {
    this.outputShape = [...shape];
    this.dispatch = [Math.ceil(util.sizeFromShape(this.outputShape) / LANES), 1, 1];
  }

  abstract body(): string;

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.body()}
        }
      }
    `;
  }
}

/** Sums [splits, n] partials over the splits: output [n]. */
export class SumPartialsProgram extends ElementwiseProgram {
  variableNames = ["partials"];
  uniforms = "";
  shaderKey = "hiwlSumPartials";

  body(): string {
    return `
      var sum = 0.0;
      for (var s = 0; s < uniforms.partialsShape.x; s++) {
        sum = sum + partials[s * uniforms.size + index];
      }
      setOutputAtIndex(index, sum);
    `;
  }
}

/** A float uniform's value for runWebGPUProgram. */
export const float = (value: number) => ({ type: "float32", data: [value] });

/**
 * Adds the [splits, n] partials a program wrote (one row per chunk; none to add when there is
 * one chunk) and gives the sums `shape`.
 */
export function sumPartials(backend: WebGPUBackend, partials: TensorInfo, shape: number[]): TensorInfo {
  let flat = partials;
  if (partials.shape[0]! > 1) {
    flat = backend.runWebGPUProgram(new SumPartialsProgram([partials.shape[1]!]), [partials], "float32");
    backend.disposeData(partials.dataId);
  }
  const reshape = getKernel(Reshape, "webgpu").kernelFunc;
  const result = reshape({ inputs: { x: flat }, backend, attrs: { shape } }) as TensorInfo;
  backend.disposeData(flat.dataId);
  return result;
}
