/**
 * The project's WebGPU kernels against the cpu backend, on whatever WebGPU adapter this machine
 * has: on a CPU machine Mesa's lavapipe, which scripts/system-deps.mjs installs (timings there
 * mean nothing, results do).
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { compareWithCpu, convCases, describeCase, type ConvCase } from "./conv-cases.ts";
import { random, trainsSmallNet } from "./helpers.ts";
import { profileStep, selectBackend } from "../src/index.ts";
import { batchNormTraining, swish } from "../src/fused-layers.ts";
import { splitRows } from "../src/webgpu-programs.ts";

/** Shaders that ran on the webgpu backend: tfjs keys its pipeline cache by the program's shaderKey. */
function shadersRun(): string[] {
  const backend = tf.findBackend("webgpu") as unknown as { pipelineCache: Record<string, unknown> };
  return Object.keys(backend.pipelineCache);
}

// Larger than a 16x16 tile and than one chunk of rows, with channel counts that fill no tile,
// so that tiling, the split over rows and the sum of partials are all exercised.
const largeCases: ConvCase[] = [
  { batch: 4, height: 20, width: 20, channels: 19, outChannels: 37, kernel: 3, stride: 1, pad: "same", multiplier: 1 },
  { batch: 3, height: 33, width: 31, channels: 40, outChannels: 24, kernel: 1, stride: 1, pad: "valid", multiplier: 1 },
  { batch: 2, height: 29, width: 30, channels: 3, outChannels: 32, kernel: 3, stride: 2, pad: "same", multiplier: 1 },
  { batch: 4, height: 24, width: 24, channels: 70, outChannels: 70, kernel: 5, stride: 2, pad: "same", multiplier: 1 },
  { batch: 3, height: 18, width: 18, channels: 40, outChannels: 80, kernel: 3, stride: 1, pad: "same", multiplier: 2 },
];

beforeAll(async () => {
  try {
    await selectBackend({ backend: "webgpu" });
  } catch (error) {
    throw new Error(
      `these tests need a WebGPU adapter; on a machine without a GPU, Mesa's lavapipe (\`node scripts/system-deps.mjs\` installs it): ${String(error)}`,
      { cause: error },
    );
  }
});

describe("rows split for the partial sums", () => {
  it("covers every row once, in chunks of the tile's multiple, and more chunks when the rest of the grid is small", () => {
    for (const [rows, base, multiple] of [
      [65_536, 18, 16],
      [65_536, 2_000, 16],
      [1_600, 54, 16],
      [100, 4, 1],
      [7, 1, 16],
    ] as const) {
      const { splits, chunk } = splitRows(rows, base, multiple);
      expect(chunk % multiple).toBe(0);
      expect(splits * chunk).toBeGreaterThanOrEqual(rows);
      expect((splits - 1) * chunk).toBeLessThan(rows);
    }
    expect(splitRows(65_536, 18, 16).splits).toBeGreaterThan(50);
    expect(splitRows(65_536, 2_000, 16).splits).toBe(1);
  });
});

describe("WebGPU filter-gradient kernels match the cpu backend", { timeout: 300_000 }, () => {
  for (const c of [...convCases(), ...largeCases]) {
    if (c.multiplier === 1) {
      it(`conv2d ${describeCase(c)} -> ${c.outChannels}`, () =>
        compareWithCpu("webgpu", c, false, (x, w) => tf.conv2d(x, w, c.stride, c.pad)));
    }
    it(`depthwiseConv2d ${describeCase(c)} multiplier ${c.multiplier}`, () =>
      compareWithCpu("webgpu", c, true, (x, w) => tf.depthwiseConv2d(x, w, c.stride, c.pad)));
  }

  it("ran the project's shaders, not tfjs-backend-webgpu's", () => {
    const shaders = shadersRun();
    expect(shaders.some((key) => key.startsWith("hiwlConv2DFilterPartials"))).toBe(true);
    expect(shaders.some((key) => key.startsWith("hiwlDepthwiseFilterPartials"))).toBe(true);
    expect(shaders.some((key) => key.startsWith("hiwlSumPartials"))).toBe(true);
    expect(shaders.some((key) => key.startsWith("conv2DDerFilter") || key.startsWith("depthwise_conv2d_DerFilter"))).toBe(false);
  });
});

describe("optimizer steps as one kernel per variable on webgpu", { timeout: 300_000 }, () => {
  const tensor = (seed: number, shape: number[]) => {
    const rand = random(seed);
    return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1), shape);
  };
  // More values than a workgroup, fewer, and a 4-D kernel.
  const shapes = [[130, 70], [13], [3, 3, 5, 7]];
  const optimizers: Array<[string, () => tf.Optimizer, number]> = [
    // label, optimizer, dispatches per variable on webgpu
    ["adam", () => tf.train.adam(0.05, 0.8, 0.95, 1e-6), 3],
    ["momentum", () => tf.train.momentum(0.05, 0.9), 2],
    ["nesterov momentum", () => tf.train.momentum(0.05, 0.7, true), 2],
  ];
  for (const [label, create, perVariable] of optimizers) {
    it(`${label} matches tfjs-core's on the cpu backend over several steps, state included, in ${perVariable} dispatches a variable`, async () => {
      const steps = async (backend: "cpu" | "webgpu") => {
        await tf.setBackend(backend);
        const vars = shapes.map((shape, i) => tf.variable(tensor(80 + i, shape), true, `gpu_opt_${label}_${i}`));
        const optimizer = create();
        const dispatches: number[] = [];
        for (let step = 0; step < 4; step++) {
          const gradients = Object.fromEntries(vars.map((v, i) => [v.name, tensor(90 + 10 * step + i, shapes[i]!)]));
          const profile = await profileStep(() => Promise.resolve(optimizer.applyGradients(gradients)));
          if (profile.dispatches !== null) dispatches.push(profile.dispatches);
          tf.dispose(Object.values(gradients));
        }
        const state = await optimizer.getWeights();
        const result = await Promise.all([...vars, ...state.map((w) => w.tensor)].map(async (x) => Array.from(await x.data())));
        optimizer.dispose();
        tf.dispose(vars);
        return { result, dispatches };
      };
      const cpu = await steps("cpu");
      const gpu = await steps("webgpu");
      expect(gpu.result.length).toBe(cpu.result.length);
      cpu.result.forEach((expected, i) => {
        const scale = Math.max(1e-12, ...expected.map(Math.abs));
        const diff = Math.max(...expected.map((e, j) => Math.abs(gpu.result[i]![j]! - e)));
        expect(diff / scale, `tensor ${i}`).toBeLessThan(1e-5);
      });
      // After the first step, which also creates the state (zeros: one dispatch a slot).
      expect(gpu.dispatches.slice(1)).toEqual(Array(3).fill(perVariable * shapes.length));
    });
  }
});

describe("batch norm and swish on the project's webgpu kernels", { timeout: 300_000 }, () => {
  const tensor = (seed: number, shape: number[], offset = 0) => {
    const rand = random(seed);
    return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1 + offset), shape);
  };
  const outputs = async (backend: "cpu" | "webgpu", f: () => tf.Tensor[]) => {
    await tf.setBackend(backend);
    const out = tf.tidy(f);
    const data = await Promise.all(out.map(async (t) => ({ shape: t.shape, data: Array.from(await t.data()) })));
    tf.dispose(out);
    return data;
  };
  // Channel counts below and above a workgroup's 64, and enough rows for the sums to be split.
  for (const shape of [[2, 6, 5, 12], [4, 20, 20, 70]]) {
    it(`training-mode batch norm and swish over [${shape.join(", ")}] match the cpu backend, values and gradients`, async () => {
      const channels = shape.at(-1)!;
      const f = () => {
        const x = tensor(1, shape, 0.3);
        const gamma = tensor(2, [channels], 1);
        const beta = tensor(3, [channels]);
        const dy = tensor(4, shape);
        const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a, b, c, 1e-3).y, dy)))([x, gamma, beta]);
        const swishGrad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(swish(a), dy)))(x);
        return [y, mean, variance, ...grads, swish(x), swishGrad];
      };
      const cpu = await outputs("cpu", f);
      const gpu = await outputs("webgpu", f);
      expect(gpu.length).toBe(cpu.length);
      cpu.forEach((expected, i) => {
        expect(gpu[i]!.shape, `output ${i}`).toEqual(expected.shape);
        const scale = Math.max(1e-12, ...expected.data.map(Math.abs));
        const diff = Math.max(...expected.data.map((e, j) => Math.abs(gpu[i]!.data[j]! - e)));
        expect(diff / scale, `output ${i}`).toBeLessThan(1e-4);
      });
    });
  }

  it("ran the project's shaders for them", () => {
    const shaders = shadersRun();
    for (const key of ["hiwlNormalize", "hiwlChannelSumsCentered", "hiwlChannelSumsGradient", "hiwlBatchNormInputGradient", "hiwlSwishGradient"]) {
      expect(shaders.some((k) => k.startsWith(key)), key).toBe(true);
    }
  });
});

describe("training on webgpu", { timeout: 300_000 }, () => {
  it("trains a small tfjs-layers net with decreasing loss and no buffer leak", async () => {
    await tf.setBackend("webgpu");
    await trainsSmallNet();
  });
});
