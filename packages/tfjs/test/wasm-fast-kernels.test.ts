import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { install, selectBackend } from "../src/index.ts";
import {
  registerWasmFastKernels,
  unregisterWasmFastKernels,
  WASM_FAST_GRADIENT_NAMES,
  WASM_FAST_KERNEL_NAMES,
} from "../src/wasm-fast-kernels.ts";
import { batchNormTraining, swish } from "../src/fused-layers.ts";
import { random, trainWithoutLeaks } from "./helpers.ts";
import { setFusedMultiplyAdd, setWasmSimdKernelsEnabled, simdKernels } from "../src/wasm-simd-kernels.ts";
import { HIWL_KERNELS } from "../src/hiwl-kernels.ts";

function values(seed: number, shape: number[], offset = 0): Float32Array {
  const rand = random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, () => rand() * 2 - 1 + offset);
}

/** max |actual - expected| / max |expected|, as the gradient kernel tests measure. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(expected[i] ?? 0));
  }
  return Number.isNaN(diff) ? Infinity : diff / scale;
}

type Computation = () => tf.Tensor | tf.Tensor[];

/** The computation's results on one backend, as plain arrays and shapes. */
async function run(backend: "cpu" | "wasm", f: Computation): Promise<Array<{ shape: number[]; data: Float32Array | Int32Array | Uint8Array }>> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const result = await Promise.all(list.map(async (t) => ({ shape: t.shape, data: (await t.data()) as Float32Array })));
  tf.dispose(list);
  return result;
}

/** Runs f on cpu and on wasm (with the fast kernels) and compares every output. */
async function expectWasmMatchesCpu(f: Computation, tolerance = 1e-4): Promise<void> {
  const cpu = await run("cpu", f);
  const wasm = await run("wasm", f);
  expect(wasm.length).toBe(cpu.length);
  cpu.forEach((expected, i) => {
    expect(wasm[i]!.shape, `output ${i} shape`).toEqual(expected.shape);
    expect(relativeError(wasm[i]!.data, expected.data), `output ${i}`).toBeLessThan(tolerance);
  });
}

const t = (seed: number, shape: number[], offset = 0) => tf.tensor(values(seed, shape, offset), shape);

/** The kernels f runs, so tests can check that a fast path was taken. */
async function kernelsRun(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => {
    f();
    return [];
  });
  return info.kernels.map((k) => k.name);
}

beforeAll(async () => {
  install();
  await selectBackend({ backend: "wasm" });
  await tf.setBackend("cpu");
});

describe("fast wasm kernels match the cpu backend", { timeout: 120_000 }, () => {
  it("registers every override for wasm", () => {
    for (const name of WASM_FAST_KERNEL_NAMES) expect(tf.getKernel(name, "wasm")).toBeDefined();
    for (const name of WASM_FAST_GRADIENT_NAMES) expect(tf.getGradient(name)).toBeDefined();
  });

  describe("Tile", () => {
    const cases: Array<[number[], number[]]> = [
      [[1, 1, 1, 5], [3, 4, 6, 1]], // batch-norm gradient broadcast
      [[2, 1, 1, 7], [1, 3, 5, 1]], // squeeze-excite gradient broadcast
      [[1, 9], [11, 1]],
      [[4, 1, 3], [1, 6, 1]],
      [[1, 1, 1, 1, 3], [2, 1, 3, 2, 1]],
      [[3, 4], [1, 1]],
      [[2, 3], [2, 2]], // real tiling: wasm's own kernel
    ];
    for (const [shape, reps] of cases) {
      it(`[${shape}] reps [${reps}]`, () => expectWasmMatchesCpu(() => tf.tile(t(1, shape), reps)));
    }
    it("int32 (wasm's own kernel)", () =>
      expectWasmMatchesCpu(() => tf.tile(tf.tensor([[1], [2]], [2, 1], "int32"), [1, 3])));
    it("broadcastTo", () => expectWasmMatchesCpu(() => tf.broadcastTo(t(2, [1, 1, 4]), [5, 3, 4])));
  });

  describe("Sum and Mean", () => {
    const cases: Array<[number[], number[], boolean]> = [
      [[4, 6, 5, 7], [0, 1, 2], false], // batch-norm statistics
      [[4, 6, 5, 7], [0, 1, 2], true],
      [[4, 6, 5, 7], [1, 2], false], // global average pooling
      [[4, 6, 5, 7], [1, 2], true],
      [[9, 13], [0], false],
      [[3, 1, 5], [1], false], // size-1 reduction
      [[3, 4, 5], [1], true],
      [[3, 4, 5], [0, 2], false], // not contiguous: wasm's own kernel
      [[3, 4, 5], [2], false], // innermost: wasm's own kernel
      [[3, 4, 5], [0, 1, 2], false],
      [[64, 16, 16, 24], [0, 1, 2], false], // long reductions accumulate rounding error
      [[8, 64, 1280], [0], false], // rows longer than XNNPACK's pooling takes: wasm's own kernel
    ];
    for (const [shape, axes, keepDims] of cases) {
      it(`sum [${shape}] axes [${axes}] keepDims ${keepDims}`, () =>
        expectWasmMatchesCpu(() => tf.sum(t(3, shape, 0.5), axes, keepDims)));
      it(`mean [${shape}] axes [${axes}] keepDims ${keepDims}`, () =>
        expectWasmMatchesCpu(() => tf.mean(t(4, shape, 0.5), axes, keepDims)));
    }
    it("int32 sum (wasm's own kernel)", () =>
      expectWasmMatchesCpu(() => tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], "int32"), 0)));
    it("moments", () =>
      expectWasmMatchesCpu(() => {
        const { mean, variance } = tf.moments(t(5, [4, 5, 6, 8], 2), [0, 1, 2]);
        return [mean, variance];
      }));
  });

  describe("FusedBatchNorm", () => {
    const x = () => t(6, [3, 5, 4, 6], 1);
    const p = (seed: number, shape = [6], offset = 0) => t(seed, shape, offset);
    it("per-channel mean, variance, offset and scale", () =>
      expectWasmMatchesCpu(() => tf.batchNorm(x(), p(7), tf.abs(p(8, [6], 0.5)), p(9), p(10))));
    it("without offset and scale", () =>
      expectWasmMatchesCpu(() => tf.batchNorm(x(), p(7), tf.abs(p(8, [6], 0.5)))));
    it("parameters shaped [1,1,1,C]", () =>
      expectWasmMatchesCpu(() =>
        tf.batchNorm(x(), p(7, [1, 1, 1, 6]), tf.abs(p(8, [1, 1, 1, 6], 0.5)), p(9, [1, 1, 1, 6]), p(10, [1, 1, 1, 6])),
      ));
    it("full-shape parameters (wasm's own kernel)", () =>
      expectWasmMatchesCpu(() => tf.batchNorm(x(), p(7, [3, 5, 4, 6]), tf.abs(p(8, [3, 5, 4, 6], 0.5)))));
    it("rank 2", () => expectWasmMatchesCpu(() => tf.batchNorm(t(11, [7, 6]), p(7), tf.abs(p(8, [6], 0.5)), p(9), p(10))));
  });

  describe("Identity and Cast share buffers", () => {
    it("clone and same-dtype cast survive disposing the source", async () => {
      await tf.setBackend("wasm");
      const x = tf.tensor([1, 2, 3]);
      const copies = [tf.clone(x), tf.cast(x, "float32"), tf.cast(tf.tensor([1, 2], [2], "int32"), "int32")];
      x.dispose();
      expect(Array.from(await copies[0]!.data())).toEqual([1, 2, 3]);
      expect(Array.from(await copies[1]!.data())).toEqual([1, 2, 3]);
      expect(Array.from(await copies[2]!.data())).toEqual([1, 2]);
      tf.dispose(copies);
    });
    it("casts between dtypes", () =>
      expectWasmMatchesCpu(() => [tf.cast(tf.tensor([1.7, -2.2, 0]), "int32"), tf.cast(tf.tensor([0, 3], [2], "int32"), "float32")]));
  });
});

describe("SIMD convolution gradient kernels match the cpu backend", { timeout: 120_000 }, () => {
  it("builds the SIMD module on this wasm backend", async () => {
    await tf.setBackend("wasm");
    expect(simdKernels(tf.engine().backend)).toBeDefined();
  });

  // Channel counts that exercise every vector width and the scalar tails; position counts
  // that are not multiples of 4; channel blocks (5x5 with > 245 channels).
  const convCases: Array<{ x: number[]; k: number; stride: number; pad: "same" | "valid"; co: number }> = [
    { x: [3, 5, 7, 13], k: 1, stride: 1, pad: "same", co: 37 },
    { x: [2, 4, 4, 40], k: 1, stride: 1, pad: "valid", co: 16 },
    // ci % 4 == 0 and co % 8 == 0: the tiled kernel, over more than one chunk of 256 positions.
    { x: [3, 10, 11, 8], k: 1, stride: 1, pad: "same", co: 24 },
    { x: [2, 9, 8, 3], k: 3, stride: 2, pad: "same", co: 19 },
    { x: [2, 7, 6, 5], k: 3, stride: 1, pad: "valid", co: 8 },
    { x: [1, 6, 6, 4], k: 1, stride: 2, pad: "same", co: 6 },
  ];
  for (const { x, k, stride, pad, co } of convCases) {
    it(`conv2d ${k}x${k} s${stride} ${pad} x[${x}] co=${co}`, () =>
      expectWasmMatchesCpu(() => {
        const f = (input: tf.Tensor, filter: tf.Tensor) =>
          tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, stride, pad);
        const filter = t(61, [k, k, x[3]!, co]);
        const out = f(t(60, x), filter);
        const dy = t(62, out.shape);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([t(60, x), filter]);
      }));
  }

  const depthwiseCases: Array<{ x: number[]; k: number; stride: number; pad: "same" | "valid" }> = [
    { x: [2, 5, 4, 301], k: 5, stride: 1, pad: "same" },
    { x: [2, 9, 7, 300], k: 3, stride: 2, pad: "valid" },
    { x: [2, 8, 8, 33], k: 5, stride: 2, pad: "same" },
    { x: [3, 6, 5, 70], k: 3, stride: 1, pad: "same" },
    { x: [2, 5, 5, 64], k: 5, stride: 1, pad: "valid" },
  ];
  for (const { x, k, stride, pad } of depthwiseCases) {
    it(`depthwiseConv2d ${k}x${k} s${stride} ${pad} x[${x}]`, () =>
      expectWasmMatchesCpu(() => {
        const f = (input: tf.Tensor, filter: tf.Tensor) =>
          tf.depthwiseConv2d(input as tf.Tensor4D, filter as tf.Tensor4D, stride, pad);
        const filter = t(64, [k, k, x[3]!, 1]);
        const out = f(t(63, x), filter);
        const dy = t(65, out.shape);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([t(63, x), filter]);
      }));
  }
});

describe("pointwise convolutions run as the SIMD matrix product", { timeout: 120_000 }, () => {
  /** c = a b (+ bias) in float32, k in order from the bias (or 0): the kernel's own order. */
  function reference(a: Float32Array, b: Float32Array, bias: Float32Array | undefined, [m, k, n]: number[]): Float32Array {
    const c = new Float32Array(m! * n!);
    for (let i = 0; i < m!; i++) {
      for (let j = 0; j < n!; j++) {
        let sum = bias?.[j] ?? 0;
        for (let l = 0; l < k!; l++) sum = Math.fround(sum + Math.fround(a[i * k! + l]! * b[l * n! + j]!));
        c[i * n! + j] = sum;
      }
    }
    return c;
  }

  /** How many SIMD products f runs (the real kernel runs; this only counts). */
  function countMatMuls(f: () => void): number {
    const simd = simdKernels(tf.engine().backend)!;
    const matMul = simd.matMul.bind(simd);
    let calls = 0;
    simd.matMul = (...args) => {
      calls++;
      matMul(...args);
    };
    try {
      f();
    } finally {
      simd.matMul = matMul;
    }
    return calls;
  }

  // [M, K, N]: 4 x 8 tiles with row and column edges (M % 4, N % 8 and N % 4 nonzero), columns
  // narrower than a tile (squeeze-excite), one row, and more rows than one chunk (K = 64: 512).
  const shapes = [[4, 8, 8], [13, 37, 21], [1, 5, 3], [7, 3, 2], [2, 96, 4], [1100, 64, 20], [1031, 64, 40]];
  for (const shape of shapes) {
    for (const withBias of [false, true]) {
      it(`matMul [${shape}]${withBias ? " + bias" : ""} equals the float32 reference (bit for bit in the plain build)`, async () => {
        await tf.setBackend("wasm");
        const [m, k, n] = shape as [number, number, number];
        const [a, b, bias] = [values(70, [m, k]), values(71, [k, n]), withBias ? values(72, [n]) : undefined];
        const product = (fma: boolean) => {
          setFusedMultiplyAdd(fma);
          try {
            return tf.tidy(() => {
              const out = tf.zeros([m, n]);
              simdKernels(tf.engine().backend)!.matMul(tf.tensor(a, [m, k]), tf.tensor(b, [k, n]), bias && tf.tensor(bias), out);
              return out.dataSync() as Float32Array;
            });
          } finally {
            setFusedMultiplyAdd(true);
          }
        };
        const want = reference(a, b, bias, shape);
        expect(Array.from(product(false))).toEqual(Array.from(want));
        expect(relativeError(product(true), want)).toBeLessThan(1e-5);
      });
    }
  }

  // Whole 4 x 4 blocks, row and column edges, single rows and columns, B0's head.
  for (const [r, c] of [[4, 4], [5, 7], [13, 8], [1, 9], [9, 1], [320, 1280]] as const) {
    it(`transpose [${r},${c}] is the transpose`, async () => {
      await tf.setBackend("wasm");
      const x = values(80, [r, c]);
      const got = tf.tidy(() => {
        const out = tf.zeros([c, r]);
        simdKernels(tf.engine().backend)!.transpose(tf.tensor(x, [1, 1, r, c]), out);
        return out.dataSync() as Float32Array;
      });
      const want = Float32Array.from({ length: r * c }, (_, i) => x[(i % r) * c + Math.floor(i / r)]!);
      expect(Array.from(got)).toEqual(Array.from(want));
    });
  }

  it("rejects operands that do not fit", async () => {
    await tf.setBackend("wasm");
    tf.tidy(() => {
      const out = tf.zeros([3, 4]);
      expect(() => simdKernels(tf.engine().backend)!.matMul(tf.zeros([3, 5]), tf.zeros([4, 4]), undefined, out)).toThrow(
        /matMul: a \[3,5\], b \[4,4\] and out \[3,4\] do not fit/,
      );
    });
  });

  const cases: Array<{ x: number[]; co: number; pad: "same" | "valid" }> = [
    { x: [3, 5, 7, 13], co: 37, pad: "same" },
    { x: [2, 6, 6, 16], co: 24, pad: "valid" },
    { x: [5, 1, 1, 40], co: 10, pad: "same" }, // squeeze-excite: one pixel per image
  ];
  for (const { x, co, pad } of cases) {
    it(`conv2d and fused.conv2d (bias, linear) 1x1 x[${x}] co=${co}: forward and input gradient`, async () => {
      const f = (input: tf.Tensor, filter: tf.Tensor) => [
        tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, 1, pad),
        tf.fused.conv2d({ x: input as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad, bias: t(73, [co]) }),
      ];
      const both = () => {
        const filter = t(74, [1, 1, x[3]!, co]);
        const outs = f(t(75, x), filter);
        const dy = t(76, outs[0]!.shape);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.add(...(f(a, filter) as [tf.Tensor, tf.Tensor])), dy)))(t(75, x));
        return [...outs, dx];
      };
      await expectWasmMatchesCpu(both);
      await tf.setBackend("wasm");
      // Two forward products, two in the gradient's forward pass, two input gradients.
      expect(countMatMuls(() => tf.dispose(tf.tidy(both)))).toBe(6);
    });
  }

  it("hands fused activations, strides and wider filters to wasm's own kernels", async () => {
    const x = [2, 6, 6, 8];
    const others = () => [
      tf.fused.conv2d({ x: t(77, x) as tf.Tensor4D, filter: t(78, [1, 1, 8, 8]) as tf.Tensor4D, strides: 1, pad: "same", activation: "relu" }),
      tf.conv2d(t(77, x) as tf.Tensor4D, t(78, [1, 1, 8, 8]) as tf.Tensor4D, 2, "same"),
      tf.conv2d(t(77, x) as tf.Tensor4D, t(79, [3, 3, 8, 8]) as tf.Tensor4D, 1, "same"),
    ];
    await expectWasmMatchesCpu(others);
    await tf.setBackend("wasm");
    expect(countMatMuls(() => tf.dispose(tf.tidy(others)))).toBe(0);
  });
});

describe("fast wasm gradients match the cpu backend", { timeout: 120_000 }, () => {
  it("batch norm in training: moments then batchNorm, every input", () =>
    expectWasmMatchesCpu(() => {
      const dy = t(12, [4, 5, 3, 6]);
      const f = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(x as tf.Tensor4D, mean, variance, beta, gamma, 1e-3), dy));
      };
      return tf.grads(f)([t(13, [4, 5, 3, 6], 0.7), t(14, [6], 1), t(15, [6])]);
    }));

  it("batchNorm with independent mean and variance", () =>
    expectWasmMatchesCpu(() => {
      const dy = t(16, [3, 4, 4, 5]);
      const f = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
        tf.sum(tf.mul(tf.batchNorm(x as tf.Tensor4D, mean, tf.add(tf.abs(variance), 0.5), offset, scale, 1e-3), dy));
      return tf.grads(f)([t(17, [3, 4, 4, 5]), t(18, [5]), t(19, [5]), t(20, [5]), t(21, [5])]);
    }));

  it("sum and mean over leading, middle and all axes, with and without keepDims", () =>
    expectWasmMatchesCpu(() => {
      const f = (x: tf.Tensor) =>
        tf.addN([
          tf.sum(tf.mul(tf.sum(x, [0, 1, 2]), t(26, [4]))),
          tf.sum(tf.mul(tf.mean(x, [1, 2], true), t(27, [3, 1, 1, 4]))),
          tf.mul(tf.mean(x), 3),
          tf.sum(tf.mul(tf.sum(x, -1), t(28, [3, 5, 2]))),
        ]);
      return tf.grads(f)([t(29, [3, 5, 2, 4])]);
    }));

  it("a squeeze-excite product (broadcast multiply gradient)", () =>
    expectWasmMatchesCpu(() => {
      const dy = t(30, [2, 4, 3, 5]);
      const f = (x: tf.Tensor, se: tf.Tensor) => tf.sum(tf.mul(tf.mul(x, tf.sigmoid(se)), dy));
      return tf.grads(f)([t(31, [2, 4, 3, 5]), t(32, [2, 1, 1, 5])]);
    }));
});

describe("custom-gradient batch norm and swish match tfjs-layers' formulation", { timeout: 120_000 }, () => {
  for (const shape of [
    [4, 5, 3, 13],
    [2, 3, 3, 37],
    [6, 8],
  ]) {
    it(`batchNormTraining x[${shape}]: output, statistics and gradients`, async () => {
      const channels = shape.at(-1)!;
      // Reference: tf.moments + tf.batchNorm as tfjs-layers computes it, on the cpu backend.
      const reference = () => {
        const dy = t(71, shape);
        const f = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
          const { mean, variance } = tf.moments(x, shape.slice(0, -1).map((_, i) => i));
          return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
        };
        const x = t(70, shape, 0.3);
        const gamma = t(72, [channels], 1);
        const beta = t(73, [channels]);
        const { mean, variance } = tf.moments(x, shape.slice(0, -1).map((_, i) => i));
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), dy)))([x, gamma, beta]);
        return [f(x, gamma, beta), mean, variance, ...grads];
      };
      const fast = () => {
        const dy = t(71, shape);
        const x = t(70, shape, 0.3);
        const gamma = t(72, [channels], 1);
        const beta = t(73, [channels]);
        const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(batchNormTraining(a, b, c, 1e-3).y, dy)),
        )([x, gamma, beta]);
        return [y, mean, variance, ...grads];
      };
      const expected = await run("cpu", reference);
      await tf.setBackend("wasm");
      expect(await kernelsRun(() => tf.dispose(fast()))).toEqual(
        expect.arrayContaining([HIWL_KERNELS.normalize, HIWL_KERNELS.batchNormGradientSums, HIWL_KERNELS.batchNormInputGradient]),
      );
      for (const backend of ["cpu", "wasm"] as const) {
        const actual = await run(backend, fast);
        expected.forEach((e, i) => {
          expect(actual[i]!.shape, `${backend} output ${i} shape`).toEqual(e.shape);
          expect(relativeError(actual[i]!.data, e.data), `${backend} output ${i}`).toBeLessThan(1e-4);
        });
      }
    });
  }

  it("swish and its gradient", async () => {
    const shape = [3, 5, 4, 11];
    const f = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));
    const reference = () => {
      const dy = t(75, shape);
      return [f(t(74, shape, 0)), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), dy)))(t(74, shape, 0))];
    };
    const fast = () => {
      const dy = t(75, shape);
      return [swish(t(74, shape, 0)), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(swish(x), dy)))(t(74, shape, 0))];
    };
    const expected = await run("cpu", reference);
    await tf.setBackend("wasm");
    expect(await kernelsRun(() => tf.dispose(fast()))).toContain(HIWL_KERNELS.swishGradient);
    for (const backend of ["cpu", "wasm"] as const) {
      const actual = await run(backend, fast);
      expected.forEach((e, i) => expect(relativeError(actual[i]!.data, e.data), `${backend} output ${i}`).toBeLessThan(1e-4));
    }
  });
});

describe("optimizers with one SIMD kernel per variable", { timeout: 60_000 }, () => {
  const optimizers: Array<[string, () => tf.Optimizer, string]> = [
    ["adam", () => tf.train.adam(0.05, 0.8, 0.95, 1e-6), HIWL_KERNELS.adam],
    ["momentum", () => tf.train.momentum(0.05, 0.9), HIWL_KERNELS.momentum],
    ["nesterov momentum", () => tf.train.momentum(0.05, 0.7, true), HIWL_KERNELS.momentum],
  ];
  for (const [label, create, kernel] of optimizers) {
    it(`${label} matches tfjs-core's on the cpu backend over several steps, state included`, async () => {
      const steps = async (backend: "cpu" | "wasm") => {
        await tf.setBackend(backend);
        const vars = [tf.variable(t(80, [7, 5]), true, "opt_a"), tf.variable(t(81, [13]), true, "opt_b")];
        const optimizer = create();
        for (let step = 0; step < 4; step++) {
          // Gradients are plain tensors; the typings ask for variables.
          const apply = () =>
            optimizer.applyGradients({ opt_a: t(90 + step, [7, 5]), opt_b: t(95 + step, [13]) });
          if (backend === "wasm") expect(await kernelsRun(apply)).toContain(kernel);
          else apply();
        }
        const state = await optimizer.getWeights();
        const result = await Promise.all(
          [...vars, ...state.map((w) => w.tensor)].map(async (x) => Array.from(await x.data())),
        );
        optimizer.dispose();
        tf.dispose(vars);
        return result;
      };
      const cpu = await steps("cpu");
      const wasm = await steps("wasm");
      expect(wasm.length).toBe(cpu.length);
      cpu.forEach((expected, i) => expect(relativeError(wasm[i]!, expected), `tensor ${i}`).toBeLessThan(1e-5));
    });
  }
});

describe("without the SIMD kernels (their XNNPACK-based fallbacks)", { timeout: 120_000 }, () => {
  beforeAll(() => setWasmSimdKernelsEnabled(false));
  afterAll(() => setWasmSimdKernelsEnabled(true));

  it("conv2d, depthwiseConv2d, batch norm and swish gradients still match the cpu backend", async () => {
    await tf.setBackend("wasm");
    expect(simdKernels(tf.engine().backend)).toBeUndefined();
    await expectWasmMatchesCpu(() => {
      const x = t(100, [2, 7, 6, 12]);
      const dy = t(103, [2, 4, 3, 12]);
      const f = (input: tf.Tensor, w: tf.Tensor, dw: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
        const h = tf.depthwiseConv2d(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 1, "same"), dw as tf.Tensor4D, 2, "same");
        return swish(batchNormTraining(h, gamma, beta, 1e-3).y);
      };
      return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(f(a, b, c, d, e), dy)))([
        x,
        t(101, [3, 3, 12, 12]),
        t(102, [5, 5, 12, 1]),
        t(104, [12], 1),
        t(105, [12]),
      ]);
    });
  });
});

describe("training on wasm with the fast kernels", { timeout: 300_000 }, () => {
  /**
   * An MBConv-style block (expand conv, batch norm, swish, depthwise conv, squeeze-excite,
   * projection, residual) trained in tfjs-layers. The gradient of every weight on one backend.
   * (A whole EfficientNet is a poor reference: batch norms feeding batch norms make some
   * gradients vanish in theory, so both backends return rounding noise for them.)
   */
  function mbconvModel(): tfl.LayersModel {
    let seed = 50;
    const init = () => tfl.initializers.glorotNormal({ seed: seed++ });
    const input = tfl.input({ shape: [8, 8, 4] });
    const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
      layer.apply(x) as tfl.SymbolicTensor;
    const bnSwish = (x: tfl.SymbolicTensor) =>
      apply(tfl.layers.activation({ activation: "swish" }), apply(tfl.layers.batchNormalization({}), x));
    let x = bnSwish(apply(tfl.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, kernelInitializer: init() }), input));
    x = bnSwish(
      apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: "same", useBias: false, depthwiseInitializer: init() }), x),
    );
    let se = apply(tfl.layers.globalAveragePooling2d({}), x);
    se = apply(tfl.layers.reshape({ targetShape: [1, 1, 12] }), se);
    se = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 1, activation: "swish", kernelInitializer: init() }), se);
    se = apply(tfl.layers.conv2d({ filters: 12, kernelSize: 1, activation: "sigmoid", kernelInitializer: init() }), se);
    x = apply(tfl.layers.multiply({}), [x, se]);
    x = apply(tfl.layers.batchNormalization({}), apply(tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, kernelInitializer: init() }), x));
    x = apply(tfl.layers.add({}), [x, input]);
    x = apply(tfl.layers.globalAveragePooling2d({}), x);
    const output = apply(tfl.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init() }), x);
    return tfl.model({ inputs: input, outputs: output });
  }

  async function blockGradients(backend: "cpu" | "wasm"): Promise<Float32Array[]> {
    await tf.setBackend(backend);
    const model = mbconvModel();
    const xs = t(40, [4, 8, 8, 4]);
    const ys = tf.oneHot(tf.tensor1d([0, 2, 1, 0], "int32"), 3);
    const { grads } = tf.variableGrads(() => {
      const p = model.apply(xs, { training: true }) as tf.Tensor;
      return tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.log(p)), -1))) as tf.Scalar;
    });
    const result = await Promise.all(model.trainableWeights.map(async (w) => (await grads[w.originalName]!.data()) as Float32Array));
    tf.dispose([xs, ys, ...Object.values(grads)]);
    model.dispose();
    return result;
  }

  it("gradients of an MBConv block in tfjs-layers match the cpu backend", async () => {
    const cpu = await blockGradients("cpu");
    const wasm = await blockGradients("wasm");
    expect(wasm.length).toBe(cpu.length);
    cpu.forEach((expected, i) => {
      expect(relativeError(wasm[i]!, expected), `weight ${i}`).toBeLessThan(1e-4);
    });
  });

  it("trainOnBatch leaks neither tensors nor wasm buffers", async () => {
    await tf.setBackend("wasm");
    // The MBConv block: batch norm, swish, depthwise and pointwise convolutions, squeeze-excite.
    const model = mbconvModel();
    model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
    const xs = t(41, [4, 8, 8, 4]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0], "int32"), 3);
    await trainWithoutLeaks(model, xs, ys, 6);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it("can be unregistered and registered again", async () => {
    await tf.setBackend("wasm");
    const before = tf.getKernel(tf.Tile, "wasm").kernelFunc;
    unregisterWasmFastKernels();
    const stock = tf.getKernel(tf.Tile, "wasm").kernelFunc;
    expect(stock).not.toBe(before);
    expect(Array.from(await tf.tile(tf.tensor([[1, 2]]), [2, 1]).data())).toEqual([1, 2, 1, 2]);
    registerWasmFastKernels();
    registerWasmFastKernels();
    expect(tf.getKernel(tf.Tile, "wasm").kernelFunc).not.toBe(stock);
    expect(Array.from(await tf.tile(tf.tensor([[1, 2]]), [2, 1]).data())).toEqual([1, 2, 1, 2]);
  });
});

