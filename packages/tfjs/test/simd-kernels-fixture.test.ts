/**
 * Regression test of the WebAssembly SIMD kernels (src/kernels.wat): every exported kernel runs
 * on seeded inputs of a few shapes, and the plain build's outputs must equal, bit for bit, the
 * outputs the kernels gave when the fixture was recorded (test/fixtures/simd-kernels.json, first
 * recorded from the call-chain assembler that kernels.wat replaced). Bit-exact is the right bar:
 * plain wasm SIMD float arithmetic is deterministic (IEEE-754 single precision, no fused
 * multiply-add), so the same instruction sequence gives the same bits on every machine, and any
 * change in the order of operations shows here. The fma build (fused multiply-adds: one rounding
 * where the plain build has two) must stay within a tight relative error of the same outputs.
 *
 * Regenerate (only after deliberately changing a kernel's arithmetic, and say so in review):
 *   HIWL_UPDATE_FIXTURES=1 npx vitest run test/simd-kernels-fixture.test.ts   (in packages/tfjs)
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { install, selectBackend } from "../src/index.ts";
import { random } from "./helpers.ts";
import { allocate, setFusedMultiplyAdd, simdKernels, type ConvGeometry, type SimdKernels } from "../src/wasm-simd-kernels.ts";

const FIXTURE = new URL("./fixtures/simd-kernels.json", import.meta.url);
const UPDATE = process.env.HIWL_UPDATE_FIXTURES === "1";

/** Seeded values in [-1, 1) + offset. */
function values(seed: number, size: number, offset = 0): Float32Array {
  const rng = random(seed);
  return Float32Array.from({ length: size }, () => rng() * 2 - 1 + offset);
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const input = (seed: number, shape: number[], offset = 0) => tf.tensor(values(seed, size(shape), offset), shape);

/** A case's outputs, concatenated. */
type Case = (simd: SimdKernels, backend: tf.KernelBackend) => tf.TensorInfo[];

interface Conv {
  x: [number, number, number, number];
  k: number;
  stride: number;
  pad: "same" | "valid";
  co: number;
}

function convInfo({ x, k, stride, pad, co }: Conv, depthwise: boolean) {
  const filter: [number, number, number, number] = [k, k, x[3], depthwise ? 1 : co];
  const info = depthwise
    ? tf.backend_util.computeConv2DInfo(x, filter, stride, 1, pad, undefined, true)
    : tf.backend_util.computeConv2DInfo(x, filter, stride, 1, pad);
  const geometry: ConvGeometry = {
    kh: k, kw: k, strideH: stride, strideW: stride, padTop: info.padInfo.top, padLeft: info.padInfo.left,
  };
  return { filter, dyShape: info.outShape as number[], geometry };
}

const cases = new Map<string, Case>();
const name = (c: Conv) => `${c.k}x${c.k} s${c.stride} ${c.pad} x[${c.x}]`;

// Odd spatial sizes, strides 1 and 2, same/valid padding, channel counts that exercise the
// 16-, 4- and 1-channel steps; 301 channels at 5x5 need two channel blocks.
const depthwise: Conv[] = [
  { x: [2, 7, 6, 13], k: 3, stride: 1, pad: "same", co: 13 },
  { x: [1, 7, 5, 301], k: 5, stride: 2, pad: "same", co: 301 },
  { x: [1, 8, 9, 38], k: 3, stride: 2, pad: "valid", co: 38 },
  { x: [3, 5, 5, 6], k: 5, stride: 1, pad: "valid", co: 6 },
];
for (const c of depthwise) {
  const { filter, dyShape, geometry } = convInfo(c, true);
  cases.set(`depthwiseFilterGradient ${name(c)}`, (simd, backend) => {
    const out = allocate(backend, filter);
    simd.depthwiseFilterGradient(input(1, c.x), input(2, dyShape), out, geometry);
    return [out];
  });
  cases.set(`depthwiseInputGradient ${name(c)}`, (simd, backend) => {
    const dx = allocate(backend, c.x);
    simd.depthwiseInputGradient(input(3, dyShape), input(4, filter), dx, geometry);
    return [dx];
  });
}

// 1x1 stride 1 (pointwise: the tiled kernel where ci % 4 == 0 and co % 8 == 0, over more than
// one chunk of positions for [2,24,30,16]; otherwise the 4-position kernel with its tails) and
// the general kernels.
const conv: Conv[] = [
  { x: [3, 5, 7, 13], k: 1, stride: 1, pad: "same", co: 37 },
  { x: [1, 3, 3, 4], k: 1, stride: 1, pad: "valid", co: 6 },
  { x: [3, 10, 11, 8], k: 1, stride: 1, pad: "same", co: 24 },
  { x: [2, 24, 30, 16], k: 1, stride: 1, pad: "valid", co: 32 },
  { x: [2, 9, 8, 3], k: 3, stride: 2, pad: "same", co: 19 },
  { x: [2, 7, 6, 5], k: 3, stride: 1, pad: "valid", co: 8 },
  { x: [1, 9, 7, 6], k: 3, stride: 1, pad: "same", co: 13 },
  { x: [1, 6, 6, 4], k: 1, stride: 2, pad: "same", co: 6 },
];
for (const c of conv) {
  const { filter, dyShape, geometry } = convInfo(c, false);
  cases.set(`convFilterGradient ${name(c)} co=${c.co}`, (simd, backend) => {
    const out = allocate(backend, filter);
    simd.convFilterGradient(input(5, c.x), input(6, dyShape), out, geometry);
    return [out];
  });
  if (c.k === 1 && c.stride === 1) continue; // wasm-gradients.ts never calls it for these
  cases.set(`convInputGradient ${name(c)} co=${c.co}`, (simd, backend) => {
    const dx = allocate(backend, c.x);
    simd.convInputGradient(input(7, dyShape), input(8, filter), dx, geometry);
    return [dx];
  });
}

// [M, K, N]: 4 x 8 tiles with row and column edges, narrow columns, more rows than one chunk.
for (const [m, k, n] of [[13, 37, 21], [8, 16, 24], [2, 96, 4], [1031, 64, 40]] as const) {
  for (const withBias of [false, true]) {
    cases.set(`matMul [${m},${k},${n}]${withBias ? " + bias" : ""}`, (simd, backend) => {
      const out = allocate(backend, [m, n]);
      simd.matMul(input(50, [m, k]), input(51, [k, n]), withBias ? input(52, [n]) : undefined, out);
      return [out];
    });
  }
}

for (const shape of [[4, 5, 3, 13], [6, 37], [2, 3, 3, 8], [5, 3]]) {
  const ch = [shape.at(-1)!];
  const key = `[${shape}]`;
  cases.set(`normalize ${key}`, (simd) => [simd.normalize(input(10, shape, 0.3), input(11, ch), input(12, ch, 1), input(13, ch))]);
  cases.set(`centeredSquareSums ${key}`, (simd) => [simd.centeredSquareSums(input(14, shape, 0.3), input(15, ch))]);
  cases.set(`batchNormGradientSums ${key}`, (simd) => [
    simd.batchNormGradientSums(input(16, shape), input(17, shape, 0.3), input(18, ch)),
  ]);
  cases.set(`batchNormInputGradient ${key}`, (simd) => [
    simd.batchNormInputGradient(
      input(19, shape), input(20, shape, 0.3), input(21, ch), input(22, ch), input(23, ch), input(24, ch, 1),
    ),
  ]);
}

for (const n of [3, 37, 1027]) {
  cases.set(`swishGradient [${n}]`, (simd) => {
    const x = input(30, [n], 0.2);
    return [simd.swishGradient(input(31, [n]), x, tf.sigmoid(x))];
  });
  cases.set(`adam [${n}]`, (simd) =>
    simd.adam(input(32, [n]), input(33, [n]), input(34, [n]), tf.abs(input(35, [n])), {
      beta1: 0.9, beta2: 0.999, epsilon: 1e-7, learningRate: 0.01, accBeta1: 0.9 ** 3, accBeta2: 0.999 ** 3,
    }),
  );
  for (const nesterov of [false, true]) {
    cases.set(`momentum${nesterov ? " nesterov" : ""} [${n}]`, (simd) =>
      simd.momentum(input(36, [n]), input(37, [n]), input(38, [n]), { momentum: 0.9, scale: -0.05, nesterov }),
    );
  }
}

interface Recorded {
  shapes: number[][];
  /** The outputs' float32 bit patterns, little-endian, base64. */
  bits: string;
}

/** Runs a case on the wasm backend with the plain or the fma build: its outputs' shapes and float32 values. */
function run(f: Case, build: "plain" | "fma" = "plain"): { shapes: number[][]; data: Float32Array } {
  const backend = tf.engine().backend;
  setFusedMultiplyAdd(build === "fma");
  const simd = simdKernels(backend);
  setFusedMultiplyAdd(true);
  if (simd === undefined) throw new Error("the SIMD kernels are unavailable on this wasm backend");
  expect(simd.build).toBe(build);
  return tf.tidy(() => {
    const outs = f(simd, backend).map((info) => tf.engine().makeTensorFromTensorInfo(info));
    const data = new Float32Array(outs.reduce((n, t) => n + t.size, 0));
    let at = 0;
    for (const t of outs) {
      data.set(t.dataSync(), at);
      at += t.size;
    }
    return { shapes: outs.map((t) => t.shape), data };
  });
}

const encode = (data: Float32Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
const decode = (bits: string) => {
  const bytes = Buffer.from(bits, "base64");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

beforeAll(async () => {
  install();
  await selectBackend({ backend: "wasm" });
  await tf.setBackend("wasm");
});

describe("SIMD kernels reproduce the recorded outputs bit for bit", { timeout: 120_000 }, () => {
  if (UPDATE) {
    it("records test/fixtures/simd-kernels.json", () => {
      const recorded: Record<string, Recorded> = {};
      for (const [key, f] of cases) {
        const { shapes, data } = run(f);
        recorded[key] = { shapes, bits: encode(data) };
      }
      writeFileSync(FIXTURE, `${JSON.stringify(recorded, null, 1)}\n`);
    });
    return;
  }
  const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, Recorded>;
  it("has a recorded output for every case and no other", () => {
    expect(Object.keys(recorded).sort()).toEqual([...cases.keys()].sort());
  });
  for (const [key, f] of cases) {
    it(key, () => {
      const expected = recorded[key];
      if (expected === undefined) throw new Error(`no recorded output for ${key}`);
      const { shapes, data } = run(f);
      expect(shapes).toEqual(expected.shapes);
      const want = decode(expected.bits);
      const [got, wanted] = [new Uint32Array(data.buffer), new Uint32Array(want.buffer)];
      expect(got.length).toBe(wanted.length);
      let differ = 0;
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) {
        if (got[i] !== wanted[i]) {
          differ++;
          maxDiff = Math.max(maxDiff, Math.abs(data[i]! - want[i]!));
        }
      }
      expect({ differ, maxDiff }, `${differ} of ${got.length} values differ, by up to ${maxDiff}`).toEqual({ differ: 0, maxDiff: 0 });
    });
  }
});

describe("the fma build stays within rounding of the plain build's recorded outputs", { timeout: 120_000 }, () => {
  const recorded = UPDATE ? {} : (JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, Recorded>);
  // install() turned relaxed SIMD on, so this engine runs the fma build (run() checks it ran).
  let fused = 0;
  for (const [key, f] of cases) {
    it.skipIf(UPDATE)(key, () => {
      const want = decode(recorded[key]!.bits);
      const { data } = run(f, "fma");
      let scale = 1e-30;
      let diff = 0;
      for (let i = 0; i < want.length; i++) {
        scale = Math.max(scale, Math.abs(want[i]!));
        diff = Math.max(diff, Math.abs(data[i]! - want[i]!));
        if (data[i] !== want[i]) fused++;
      }
      expect(diff / scale).toBeLessThan(1e-5);
    });
  }
  // One rounding instead of two shows in the bits somewhere: the fma build really is another build.
  it.skipIf(UPDATE)("differs from the plain build in some bits", () => expect(fused).toBeGreaterThan(0));
});
