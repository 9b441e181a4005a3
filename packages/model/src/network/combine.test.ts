import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { combineHierarchy } from "./combine.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("combineHierarchy", { timeout: 60_000 }, () => {
  it("combines level probabilities into five that sum to 1", () => {
    const p1 = tf.tensor2d([
      [0.1, 0.2, 0.6, 0.1],
      [0.25, 0.25, 0.25, 0.25],
    ]);
    const p2 = tf.tensor2d([
      [0.3, 0.7],
      [1, 0],
    ]);
    const p = combineHierarchy(p1, p2).arraySync();
    const expected = [
      [0.1, 0.2, 0.18, 0.42, 0.1],
      [0.25, 0.25, 0.25, 0, 0.25],
    ];
    p.forEach((row, r) => {
      row.forEach((v, c) => expect(v).toBeCloseTo(expected[r]![c]!, 6));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    });
  });
});
