/**
 * Convolution gradients compared between a backend and the cpu backend: the cases (every
 * kernel size, stride and padding the networks use, and odd shapes), and the comparison.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { expect } from "vitest";
import { random } from "./helpers.ts";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | number;

/** Random inputs in [-1, 1). */
export function randomValues(rand: () => number, shape: number[]): Float32Array {
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

export interface ConvCase {
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

export function describeCase(c: ConvCase): string {
  return `k${c.kernel} s${c.stride} ${c.pad} x[${c.batch},${c.height},${c.width},${c.channels}]`;
}

/** Small random shapes for every kernel size, stride and padding, and the edge cases. */
export function convCases(): ConvCase[] {
  const cases: ConvCase[] = [];
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
  return cases;
}

export type GradFn = (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D;

/** Gradients of sum(f(x, filter) * dy) on one backend, as plain arrays. */
async function gradients(
  backend: string,
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

/** Both gradients of f on `backend` agree with the cpu backend's to 1e-4 (relative to the largest). */
export async function compareWithCpu(backend: string, c: ConvCase, depthwise: boolean, f: GradFn): Promise<void> {
  const rand = random(c.batch * 1000 + c.height * 100 + c.width * 10 + c.kernel);
  const xShape: Shape4 = [c.batch, c.height, c.width, c.channels];
  const filterShape: Shape4 = depthwise
    ? [c.kernel, c.kernel, c.channels, c.multiplier]
    : [c.kernel, c.kernel, c.channels, c.outChannels];
  const data = { x: randomValues(rand, xShape), filter: randomValues(rand, filterShape), xShape, filterShape };
  let dy: Float32Array | undefined;
  const dyValues = (shape: number[]) => (dy ??= randomValues(rand, shape));
  const [dxCpu, dwCpu] = await gradients("cpu", f, data, dyValues);
  const [dx, dw] = await gradients(backend, f, data, dyValues);
  expect(relativeError(dx!, dxCpu!), "input gradient").toBeLessThan(1e-4);
  expect(relativeError(dw!, dwCpu!), "filter gradient").toBeLessThan(1e-4);
}
