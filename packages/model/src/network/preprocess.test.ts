import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { PreprocessingSchema } from "./export.ts";
import {
  augmentBatch,
  PREPROCESSING,
  preprocessForInference,
  renderViews,
  sampleTrainingView,
  type View,
} from "./preprocess.ts";
import { createRng } from "../random.ts";
import { selectBackend } from "@hiwl/tfjs";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const identity: View = { angle: 0, cropRatio: 1, offsetX: 0, offsetY: 0, flipHorizontal: false, flipVertical: false };
const normalise = (x: tf.Tensor) => tf.div(tf.sub(x, PREPROCESSING.mean), PREPROCESSING.std);

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
}

describe("preprocessing", { timeout: 60_000 }, () => {
  it("is HIWL's: crops 256 and 240 of 424, authors' mean and std, JSON-able", () => {
    expect(PREPROCESSING.trainCropRatio).toBe(256 / 424);
    expect(PREPROCESSING.testCropRatio).toBe(240 / 424);
    expect(PREPROCESSING.mean).toEqual([0.046, 0.041, 0.03]);
    expect(PREPROCESSING.std).toEqual([0.09, 0.075, 0.065]);
    expect(PreprocessingSchema.parse(JSON.parse(JSON.stringify(PREPROCESSING)))).toEqual(PREPROCESSING);
  });

  it("scales int32 pixels to [0, 1] and normalises per channel", () => {
    const image = tf.fill<tf.Rank.R3>([106, 106, 3], 128, "int32");
    const out = preprocessForInference(image, 16);
    expect(out.shape).toEqual([16, 16, 3]);
    const expected = PREPROCESSING.mean.map((m, c) => (128 / 255 - m) / PREPROCESSING.std[c]!);
    const values = out.dataSync();
    for (let i = 0; i < values.length; i++) expect(values[i]).toBeCloseTo(expected[i % 3]!, 5);
  });

  it("keeps float pixels as [0, 1] and takes batches", () => {
    const batch = tf.fill<tf.Rank.R4>([2, 64, 64, 3], 0.5);
    const out = preprocessForInference(batch, 8);
    expect(out.shape).toEqual([2, 8, 8, 3]);
    expect(out.dataSync()[0]).toBeCloseTo((0.5 - 0.046) / 0.09, 5);
  });

  it("averages pixels away before shrinking instead of aliasing", () => {
    // A one-pixel checkerboard: point sampling would return 0s and 1s, not its mean.
    const board = tf.tidy(() => {
      const i = tf.range(0, 424, 1, "int32");
      const parity = tf.mod(tf.add(tf.reshape(i, [424, 1]), tf.reshape(i, [1, 424])), 2);
      return tf.tile(tf.expandDims(tf.cast(parity, "float32"), 2), [1, 1, 3]) as tf.Tensor3D;
    });
    const out = preprocessForInference(board, 32);
    expect(maxAbsDiff(out, normalise(tf.fill([32, 32, 3], 0.5)))).toBeLessThan(1e-5);
  });

  it("renders the identity, flips and a quarter turn exactly", () => {
    const image = tf.randomUniform<tf.Rank.R4>([1, 12, 12, 3], 0, 1, "float32", 1);
    const render = (view: Partial<View>) => renderViews(image, [{ ...identity, ...view }], 12);
    expect(maxAbsDiff(render({}), normalise(image))).toBeLessThan(1e-5);
    expect(maxAbsDiff(render({ flipHorizontal: true }), normalise(tf.reverse(image, 2)))).toBeLessThan(1e-5);
    expect(maxAbsDiff(render({ flipVertical: true }), normalise(tf.reverse(image, 1)))).toBeLessThan(1e-5);
    const quarterTurn = tf.reverse(tf.transpose(image, [0, 2, 1, 3]), 2);
    expect(maxAbsDiff(render({ angle: Math.PI / 2 }), normalise(quarterTurn))).toBeLessThan(1e-5);
  });

  it("crops around an offset centre", () => {
    const image = tf.randomUniform<tf.Rank.R4>([1, 16, 16, 3], 0, 1, "float32", 2);
    // Half the side, centre shifted right by a quarter: columns 8-15, rows 4-11, no resampling.
    const out = renderViews(image, [{ ...identity, cropRatio: 0.5, offsetX: 0.25 }], 8);
    expect(maxAbsDiff(out, normalise(tf.slice(image, [0, 4, 8, 0], [1, 8, 8, 3])))).toBeLessThan(1e-5);
  });

  it("draws training views within HIWL's ranges", () => {
    const rng = createRng(9);
    const views = Array.from({ length: 500 }, () => sampleTrainingView(rng));
    for (const v of views) {
      expect(Math.abs(v.angle)).toBeLessThanOrEqual((25 * Math.PI) / 180);
      expect(v.cropRatio).toBeGreaterThanOrEqual((256 / 424) * Math.sqrt(0.9));
      expect(v.cropRatio).toBeLessThanOrEqual(256 / 424);
      const slack = (256 / 424 - v.cropRatio) / 2;
      expect(Math.abs(v.offsetX)).toBeLessThanOrEqual(slack);
      expect(Math.abs(v.offsetY)).toBeLessThanOrEqual(slack);
    }
    const share = (f: (v: View) => boolean) => views.filter(f).length / views.length;
    expect(share((v) => v.flipHorizontal)).toBeGreaterThan(0.4);
    expect(share((v) => v.flipVertical)).toBeLessThan(0.6);
  });

  it("augments a batch of cutouts to the input size, reproducibly with a seed", () => {
    const cutouts = tf.randomUniform<tf.Rank.R4>([3, 424, 424, 3], 0, 256, "int32", 3);
    const a = augmentBatch(cutouts, 32, createRng(1));
    expect(a.shape).toEqual([3, 32, 32, 3]);
    expect(a.dtype).toBe("float32");
    expect(Array.from(a.dataSync()).every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(a, augmentBatch(cutouts, 32, createRng(1)))).toBe(0);
    expect(maxAbsDiff(a, augmentBatch(cutouts, 32, createRng(2)))).toBeGreaterThan(0.1);
    // Every image of the batch is rendered, not only the first.
    const [, , third] = tf.unstack(a);
    expect(tf.min(third!).dataSync()[0]).toBeLessThan(tf.max(third!).dataSync()[0]!);
  });

  it("renders the same views on wasm as on cpu", async () => {
    const cutouts = tf.randomUniform<tf.Rank.R4>([2, 100, 100, 3], 0, 256, "int32", 4);
    const cpu = augmentBatch(cutouts, 16, createRng(3)).arraySync();
    await selectBackend({ backend: "wasm" });
    try {
      const wasm = augmentBatch(cutouts, 16, createRng(3));
      expect(maxAbsDiff(wasm, tf.tensor(cpu))).toBeLessThan(1e-4);
    } finally {
      await tf.setBackend("cpu");
    }
  });
});
