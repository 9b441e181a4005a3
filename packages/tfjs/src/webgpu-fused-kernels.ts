/**
 * The kernels of hiwl-kernels.ts as WebGPU programs, for fused-layers.ts and
 * fused-optimizers.ts: a training-mode batch norm in 7 dispatches forward and 9 backward where
 * tfjs-layers runs ~30, the swish gradient in one where it runs ~7, Adam in three dispatches
 * per variable instead of ~14 and momentum SGD in two instead of ~4. Each program reads every
 * input it binds: a binding the shader does not read is left out of the pipeline's layout, and
 * binding it anyway invalidates the whole command buffer.
 */
import type { WebGPUBackend, WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { HIWL_KERNELS, type AdamStepAttrs, type MomentumStepAttrs } from "./hiwl-kernels.ts";
import { ElementwiseProgram, float, LANES, splitRows, sumPartials } from "./webgpu-programs.ts";

type KernelArgs = Parameters<KernelFunc>[0];

type Inputs = Record<string, TensorInfo>;
const inputsOf = (args: KernelArgs) => args.inputs as Inputs;

/** Runs `program` on the kernel's inputs of the names it reads (its variableNames). */
function runProgram(args: KernelArgs, program: WebGPUProgram, uniforms?: Array<{ type: string; data: number[] }>): TensorInfo {
  const inputs = program.variableNames.map((name) => inputsOf(args)[name]!);
  return (args.backend as WebGPUBackend).runWebGPUProgram(program, inputs, "float32", uniforms);
}

/** An elementwise program shaped like the kernel's input `like`. */
const elementwise = (Program: new (shape: readonly number[]) => ElementwiseProgram, like: string) => (args: KernelArgs) =>
  runProgram(args, new Program(inputsOf(args)[like]!.shape));

/**
 * Partial per-channel sums over chunks of the rows of x [M, C]: (x - mean)^2 (one sum a
 * channel), or for the batch-norm gradient dy and dy * (x - mean) (two): output [splits,
 * sums x C]. Thread x of workgroup (x, split) sums channel x over its chunk; neighbouring
 * threads read neighbouring values of each row.
 */
class ChannelSumsPartialsProgram implements WebGPUProgram {
  variableNames: string[];
  uniforms = "chunk : i32,";
  workgroupSize: [number, number, number] = [LANES, 1, 1];
  outputShape: number[];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    channels: number,
    splits: number,
    private readonly gradient: boolean,
  ) {
    this.variableNames = gradient ? ["dy", "x", "mean"] : ["x", "mean"];
    this.outputShape = [splits, (gradient ? 2 : 1) * channels];
    this.dispatch = [Math.ceil(channels / LANES), splits, 1];
    this.shaderKey = `hiwlChannelSums${gradient ? "Gradient" : "Centered"}`;
  }

  getUserCode(): string {
    const sums = this.gradient
      ? `
        var sumDy = 0.0;
        var sumDyXc = 0.0;
        for (var m = start; m < end; m++) {
          let g = dy[m * channels + c];
          sumDy = sumDy + g;
          sumDyXc = fma(g, x[m * channels + c] - mu, sumDyXc);
        }
        setOutputAtIndex(split * 2 * channels + c, sumDy);
        setOutputAtIndex(split * 2 * channels + channels + c, sumDyXc);`
      : `
        var sum = 0.0;
        for (var m = start; m < end; m++) {
          let d = x[m * channels + c] - mu;
          sum = fma(d, d, sum);
        }
        setOutputAtIndex(split * channels + c, sum);`;
    return `
      fn main() {
        let rows = uniforms.xShape.x;
        let channels = uniforms.xShape.y;
        let c = i32(globalId.x);
        let split = i32(workgroupId.y);
        if (c >= channels) {
          return;
        }
        let mu = mean[c];
        let start = split * uniforms.chunk;
        let end = min(start + uniforms.chunk, rows);
        ${sums}
      }
    `;
  }
}

/** Per-channel sums over the rows of x [M, C]: [C] of (x - mean)^2, or [2, C] of dy and dy * (x - mean). */
const channelSums = (gradient: boolean) => (args: KernelArgs) => {
  const [rows, channels] = inputsOf(args).x!.shape as [number, number];
  const { splits, chunk } = splitRows(rows, Math.ceil(channels / LANES), 1);
  const partials = runProgram(args, new ChannelSumsPartialsProgram(channels, splits, gradient), [{ type: "int32", data: [chunk] }]);
  return sumPartials(args.backend as WebGPUBackend, partials, gradient ? [2, channels] : [channels]);
};

/** (x - mean) * k + beta over x [M, C] with [C] vectors. */
class NormalizeProgram extends ElementwiseProgram {
  variableNames = ["x", "mean", "k", "beta"];
  uniforms = "";
  shaderKey = "hiwlNormalize";

  body(): string {
    return `
      let c = index % uniforms.xShape.y;
      setOutputAtIndex(index, (x[index] - mean[c]) * k[c] + beta[c]);`;
  }
}

/** The batch-norm input gradient (dy - (x - mean) * a - b) * k over [M, C] with [C] vectors. */
class BatchNormInputGradientProgram extends ElementwiseProgram {
  variableNames = ["dy", "x", "mean", "a", "b", "k"];
  uniforms = "";
  shaderKey = "hiwlBatchNormInputGradient";

  body(): string {
    return `
      let c = index % uniforms.xShape.y;
      setOutputAtIndex(index, (dy[index] - (x[index] - mean[c]) * a[c] - b[c]) * k[c]);`;
  }
}

/** The swish gradient dy * s * (1 + x - x * s), s = sigmoid(x). */
class SwishGradientProgram extends ElementwiseProgram {
  variableNames = ["dy", "x", "s"];
  uniforms = "";
  shaderKey = "hiwlSwishGradient";

  body(): string {
    return "setOutputAtIndex(index, dy[index] * s[index] * (1.0 + x[index] - x[index] * s[index]));";
  }
}

/** An exponential moving average of the gradient (Adam's m) or of its square (Adam's v). */
class MomentProgram extends ElementwiseProgram {
  variableNames = ["moment", "g"];
  uniforms = "beta : f32, oneMinusBeta : f32,";
  shaderKey: string;

  constructor(
    shape: readonly number[],
    private readonly square: boolean,
  ) {
    super(shape);
    this.shaderKey = `hiwlAdamMoment${square ? "Squared" : ""}`;
  }

  body(): string {
    const g = this.square ? "g[index] * g[index]" : "g[index]";
    return `setOutputAtIndex(index, moment[index] * uniforms.beta + ${g} * uniforms.oneMinusBeta);`;
  }
}

/** Adam's weight update from the new moments, in tfjs-core's order of operations. */
class AdamWeightProgram extends ElementwiseProgram {
  variableNames = ["w", "m", "v"];
  uniforms = "correction1 : f32, correction2 : f32, epsilon : f32, negLearningRate : f32,";
  shaderKey = "hiwlAdamWeight";

  body(): string {
    return `setOutputAtIndex(index, (m[index] / uniforms.correction1) / (sqrt(v[index] / uniforms.correction2) + uniforms.epsilon) * uniforms.negLearningRate + w[index]);`;
  }
}

/** Momentum SGD's accumulation: mu * acc + g. */
class AccumulationProgram extends ElementwiseProgram {
  variableNames = ["accumulation", "g"];
  uniforms = "mu : f32,";
  shaderKey = "hiwlMomentumAccumulation";

  body(): string {
    return "setOutputAtIndex(index, accumulation[index] * uniforms.mu + g[index]);";
  }
}

/** Momentum SGD's weight update: w + scale * acc, or with Nesterov w + scale * (g + mu * acc). */
class MomentumWeightProgram extends ElementwiseProgram {
  variableNames: string[];
  uniforms = "mu : f32, scale : f32,";
  shaderKey: string;

  constructor(
    shape: readonly number[],
    private readonly nesterov: boolean,
  ) {
    super(shape);
    this.variableNames = nesterov ? ["w", "accumulation", "g"] : ["w", "accumulation"];
    this.shaderKey = `hiwlMomentumWeight${nesterov ? "Nesterov" : ""}`;
  }

  body(): string {
    const step = this.nesterov ? "(g[index] + accumulation[index] * uniforms.mu)" : "accumulation[index]";
    return `setOutputAtIndex(index, ${step} * uniforms.scale + w[index]);`;
  }
}

/** HIWL_KERNELS.adam (fused-optimizers.ts): new [w, m, v] in three dispatches instead of ~14. */
function adamStep(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WebGPUBackend;
  const { w, g, m, v } = args.inputs as { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo };
  const h = args.attrs as unknown as AdamStepAttrs;
  const m2 = backend.runWebGPUProgram(new MomentProgram(w.shape, false), [m, g], "float32", [float(h.beta1), float(1 - h.beta1)]);
  const v2 = backend.runWebGPUProgram(new MomentProgram(w.shape, true), [v, g], "float32", [float(h.beta2), float(1 - h.beta2)]);
  const w2 = backend.runWebGPUProgram(new AdamWeightProgram(w.shape), [w, m2, v2], "float32", [
    float(1 - h.accBeta1),
    float(1 - h.accBeta2),
    float(h.epsilon),
    float(-h.learningRate),
  ]);
  return [w2, m2, v2];
}

/** HIWL_KERNELS.momentum: new [w, accumulation] in two dispatches instead of ~4. */
function momentumStep(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WebGPUBackend;
  const { w, g, accumulation } = args.inputs as { w: TensorInfo; g: TensorInfo; accumulation: TensorInfo };
  const h = args.attrs as unknown as MomentumStepAttrs;
  const acc = backend.runWebGPUProgram(new AccumulationProgram(w.shape), [accumulation, g], "float32", [float(h.momentum)]);
  const inputs = h.nesterov ? [w, acc, g] : [w, acc];
  const w2 = backend.runWebGPUProgram(new MomentumWeightProgram(w.shape, h.nesterov), inputs, "float32", [float(h.momentum), float(h.scale)]);
  return [w2, acc];
}

/** The kernels of hiwl-kernels.ts on webgpu (tfjs-backend-webgpu has none of these names). */
export const WEBGPU_FUSED_KERNELS: ReadonlyArray<[string, KernelFunc]> = [
  [HIWL_KERNELS.normalize, elementwise(NormalizeProgram, "x")],
  [HIWL_KERNELS.centeredSquareSums, channelSums(false)],
  [HIWL_KERNELS.batchNormGradientSums, channelSums(true)],
  [HIWL_KERNELS.batchNormInputGradient, elementwise(BatchNormInputGradientProgram, "dy")],
  [HIWL_KERNELS.swishGradient, elementwise(SwishGradientProgram, "dy")],
  [HIWL_KERNELS.adam, adamStep],
  [HIWL_KERNELS.momentum, momentumStep],
];

