import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { cutoutSide, inferenceInput, toCutout, type DecodedImage } from "./cutout.ts";
import { PREPROCESSING, preprocessForInference } from "./preprocess.ts";
import { createRng } from "../random.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A width x height RGB image whose value at (x, y, c) is f(x, y, c). */
function image(width: number, height: number, f: (x: number, y: number, c: number) => number): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, channels: 3, data };
}

describe("cutouts", () => {
  it("are just large enough that no crop is upsampled: 114 pixels for 64-pixel inputs", () => {
    expect(cutoutSide(64)).toBe(114);
    expect(64 / cutoutSide(64)).toBeLessThanOrEqual(PREPROCESSING.testCropRatio);
    expect(64 / cutoutSide(64)).toBeLessThanOrEqual(PREPROCESSING.trainCropRatio * Math.sqrt(PREPROCESSING.cropScale[0]));
    expect(64 / (cutoutSide(64) - 1)).toBeGreaterThan(PREPROCESSING.testCropRatio);
  });

  it("average whole 2x2 blocks when halving", () => {
    const rng = createRng("cutout");
    const source = image(8, 8, () => Math.floor(rng() * 256));
    const out = toCutout(source, 4);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          const at = (dx: number, dy: number) => source.data[((2 * y + dy) * 8 + 2 * x + dx) * 3 + c]!;
          expect(out[(y * 4 + x) * 3 + c]).toBe(Math.round((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4));
        }
      }
    }
  });

  it("count partly covered pixels by the covered fraction", () => {
    // 3 -> 2: the first output pixel covers source pixel 0 and half of pixel 1.
    const source = image(3, 3, (x) => [0, 90, 180][x]!);
    const out = toCutout(source, 2);
    expect(out[0]).toBe(Math.round((0 + 0.5 * 90) / 1.5));
    expect(out[3]).toBe(Math.round((0.5 * 90 + 180) / 1.5));
  });

  it("keep a constant image constant and ignore alpha", () => {
    const rgb = image(50, 50, (_, __, c) => [10, 120, 250][c]!);
    const rgba: DecodedImage = {
      width: 50,
      height: 50,
      channels: 4,
      data: Uint8Array.from({ length: 50 * 50 * 4 }, (_, i) => (i % 4 === 3 ? 7 : [10, 120, 250][i % 4]!)),
    };
    const out = toCutout(rgb, 17);
    expect(new Set(Array.from(out).filter((_, i) => i % 3 === 0))).toEqual(new Set([10]));
    expect(new Set(Array.from(out).filter((_, i) => i % 3 === 2))).toEqual(new Set([250]));
    expect(toCutout(rgba, 17)).toEqual(out);
  });

  it("take the central square of a non-square image", () => {
    const wide = image(12, 8, (x) => (x >= 2 && x < 10 ? 40 : 255));
    expect(new Set(toCutout(wide, 4))).toEqual(new Set([40]));
  });

  it("name the image's size when its data does not match it", () => {
    expect(() => toCutout({ width: 10, height: 10, channels: 3, data: new Uint8Array(299) }, 4)).toThrow(/10x10x3 has 299 values, expected 300/);
  });

  it("are what the network input of one image is rendered from", () => {
    const rng = createRng("inference");
    const source = image(424, 424, () => Math.floor(rng() * 256));
    const side = cutoutSide(32);
    const expected = preprocessForInference(tf.tensor4d(Int32Array.from(toCutout(source, side)), [1, side, side, 3], "int32"), 32);
    const actual = inferenceInput(source, 32);
    expect(actual.shape).toEqual([1, 32, 32, 3]);
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
  });
});
