import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { random, trainWithoutLeaks } from "./helpers.ts";
import { install, selectBackend } from "../src/index.ts";
import { describeAdapter, isSoftwareAdapter } from "../src/backend.ts";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | number;
type Backend = "cpu" | "wasm";

function values(rand: () => number, shape: number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, () => rand() * 2 - 1);
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(expected[i] ?? 0));
  }
  return diff / scale;
}

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  channels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: Pad;
  /** Depthwise channel multiplier. */
  multiplier: number;
}

function describeCase(c: ConvCase): string {
  return `k${c.kernel} s${c.stride} ${c.pad} x[${c.batch},${c.height},${c.width},${c.channels}]`;
}

const cases: ConvCase[] = [];
{
  const rand = random(7);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  for (const kernel of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      for (const pad of ["same", "valid"] as const) {
        cases.push({
          batch: int(2, 3),
          height: int(kernel + 1, 11),
          width: int(kernel + 1, 11),
          channels: int(2, 6),
          outChannels: int(2, 6),
          kernel,
          stride,
          pad,
          multiplier: 1,
        });
      }
    }
  }
  cases.push({ batch: 2, height: 9, width: 8, channels: 3, outChannels: 4, kernel: 3, stride: 2, pad: 1, multiplier: 1 });
  cases.push({ batch: 2, height: 7, width: 9, channels: 3, outChannels: 5, kernel: 3, stride: 2, pad: "same", multiplier: 2 });
  cases.push({ batch: 3, height: 8, width: 8, channels: 4, outChannels: 4, kernel: 1, stride: 1, pad: 0, multiplier: 1 });
  // Padding wider than the kernel: outer dY rows and columns reach no input pixel.
  cases.push({ batch: 2, height: 7, width: 6, channels: 3, outChannels: 2, kernel: 1, stride: 2, pad: 2, multiplier: 1 });
}

type GradFn = (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D;

/** Gradients of sum(f(x, filter) * dy) on one backend, as plain arrays. */
async function gradients(
  backend: Backend,
  f: GradFn,
  data: { x: Float32Array; filter: Float32Array; xShape: Shape4; filterShape: Shape4 },
  dyValues: (outShape: number[]) => Float32Array,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(data.x, data.xShape);
  const filter = tf.tensor4d(data.filter, data.filterShape);
  const outShape = tf.tidy(() => f(x, filter).shape);
  const dy = tf.tensor<tf.Rank.R4>(dyValues(outShape), outShape);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, filter], dy);
  const result = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose([x, filter, dy, ...grads]);
  return result;
}

async function compareBackends(c: ConvCase, depthwise: boolean, f: GradFn): Promise<void> {
  const rand = random(c.batch * 1000 + c.height * 100 + c.width * 10 + c.kernel);
  const xShape: Shape4 = [c.batch, c.height, c.width, c.channels];
  const filterShape: Shape4 = depthwise
    ? [c.kernel, c.kernel, c.channels, c.multiplier]
    : [c.kernel, c.kernel, c.channels, c.outChannels];
  const data = { x: values(rand, xShape), filter: values(rand, filterShape), xShape, filterShape };
  let dy: Float32Array | undefined;
  const dyValues = (shape: number[]) => (dy ??= values(rand, shape));
  const [dxCpu, dwCpu] = await gradients("cpu", f, data, dyValues);
  const [dxWasm, dwWasm] = await gradients("wasm", f, data, dyValues);
  expect(relativeError(dxWasm!, dxCpu!), "input gradient").toBeLessThan(1e-4);
  expect(relativeError(dwWasm!, dwCpu!), "filter gradient").toBeLessThan(1e-4);
}

beforeAll(async () => {
  install();
  await selectBackend({ backend: "wasm" });
  await tf.setBackend("cpu");
});

describe("wasm gradient kernels match the cpu backend", { timeout: 120_000 }, () => {
  for (const c of cases) {
    const depthwiseCase = c.multiplier > 1;
    if (!depthwiseCase) {
      it(`conv2d ${describeCase(c)}`, () =>
        compareBackends(c, false, (x, w) => tf.conv2d(x, w, c.stride, c.pad)));
      it(`fused.conv2d ${describeCase(c)}`, () =>
        compareBackends(c, false, (x, w) =>
          tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad, activation: "relu" }),
        ));
    }
    it(`depthwiseConv2d ${describeCase(c)} multiplier ${c.multiplier}`, () =>
      compareBackends(c, true, (x, w) => tf.depthwiseConv2d(x, w, c.stride, c.pad)));
    it(`fused.depthwiseConv2d ${describeCase(c)} multiplier ${c.multiplier}`, () =>
      compareBackends(c, true, (x, w) =>
        tf.fused.depthwiseConv2d({ x, filter: w, strides: c.stride, pad: c.pad, activation: "relu" }),
      ));
  }
});

describe("training on wasm", { timeout: 300_000 }, () => {
  it("trains a small tfjs-layers net with decreasing loss and no tensor leak", async () => {
    await tf.setBackend("wasm");
    const rand = random(42);
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, padding: "same", useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: "relu" }),
        tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: "relu" }),
        tfl.layers.conv2d({ filters: 12, kernelSize: 1, activation: "relu" }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 3, activation: "softmax" }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: "categoricalCrossentropy" });
    const xs = tf.tensor4d(values(rand, [8, 12, 12, 3]), [8, 12, 12, 3]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], "int32"), 3);

    const losses = await trainWithoutLeaks(model, xs, ys, 12);
    expect(losses.at(-1)!, `losses: ${losses.join(",")}`).toBeLessThan(losses[0]! * 0.8);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});

describe("selectBackend", { timeout: 60_000 }, () => {
  it("picks wasm here and says why each faster backend was skipped", async () => {
    const logged: string[] = [];
    const selected = await selectBackend({ backend: "auto", log: (line) => logged.push(line) });
    expect(selected.backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(selected.reasons).toHaveLength(3);
    expect(selected.reasons[0]).toMatch(/^tfjs-node-gpu: .*not installed/);
    expect(selected.reasons[1]).toMatch(/^tfjs-node: .*not installed/);
    expect(selected.reasons[2]).toMatch(/^webgpu: /);
    expect(logged.join("\n")).toContain("using wasm (tfjs-node-gpu: ");
  });

  it("tells software rasterisers from GPUs by what the adapter says of itself, and names the adapter", () => {
    // As Dawn reports Mesa's lavapipe, SwiftShader and two real GPUs.
    const lavapipe = { vendor: "mesa", architecture: "", device: "llvmpipe (LLVM 19.1.7, 256 bits)", description: "Mesa 25.0.7" };
    const swiftshader = { vendor: "google", architecture: "swiftshader", device: "", description: "SwiftShader Device (Subzero)" };
    const software = { vendor: "mesa", architecture: "software", device: "", description: "" };
    const h200 = { vendor: "nvidia", architecture: "hopper", device: "NVIDIA H200", description: "NVIDIA: 565.57" };
    const radeon = { vendor: "amd", architecture: "rdna-3", device: "", description: "Radeon RX 7900" };
    expect([lavapipe, swiftshader, software, h200, radeon].map(isSoftwareAdapter)).toEqual([true, true, true, false, false]);
    expect([lavapipe, h200, radeon, {}].map(describeAdapter)).toEqual([
      "mesa (llvmpipe (LLVM 19.1.7, 256 bits))",
      "nvidia hopper (NVIDIA H200)",
      "amd rdna-3 (Radeon RX 7900)",
      "unnamed adapter",
    ]);
  });

  it("throws a clear error when an explicitly requested backend is unavailable", async () => {
    await expect(selectBackend({ backend: "tfjs-node" })).rejects.toThrow(
      /backend 'tfjs-node' is unavailable: .*not installed/,
    );
  });
});
