/**
 * Saving the tensors gradients need without an Identity kernel each (src/tape-saves.ts): the
 * same gradients, bit for bit, as the engine's own clones, no Identity kernels, nothing more
 * left behind, and a saved value that outlives its source and a later assign.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { install, selectBackend } from "../src/index.ts";
import { installTapeSaves, uninstallTapeSaves } from "../src/tape-saves.ts";
import { random } from "./helpers.ts";

beforeAll(async () => {
  install();
  await selectBackend({ backend: "wasm" });
});
afterAll(() => installTapeSaves());

const values = (seed: number, n: number) => {
  const rand = random(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
};

/** x^2 as a custom-gradient op, which saves its input through the same engine clone. */
const square = tf.customGrad((a, save) => {
  (save as tf.GradSaveFunc)([a as tf.Tensor]);
  return { value: tf.square(a as tf.Tensor), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.mul(saved!, 2)) };
});

/** Gradients of a small net's loss with respect to its weights, and the kernels the step ran. */
async function step(): Promise<{ grads: Float32Array[]; kernels: string[] }> {
  const x = tf.tensor4d(values(1, 2 * 6 * 6 * 3), [2, 6, 6, 3]);
  const w = [tf.variable(tf.tensor4d(values(2, 27 * 4), [3, 3, 3, 4])), tf.variable(tf.tensor2d(values(3, 16), [4, 4]))];
  let grads: tf.Tensor[] = [];
  const info = await tf.profile(() => {
    const { value, grads: byName } = tf.variableGrads(() => {
      const h = tf.sigmoid(tf.conv2d(x, w[0] as tf.Tensor4D, 1, "same"));
      return tf.sum(square(tf.matMul(tf.mean(h, [1, 2]), w[1] as tf.Tensor2D)));
    });
    value.dispose();
    grads = Object.values(byName);
    return [];
  });
  const data = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose([x, ...w, ...grads]);
  return { grads: data, kernels: info.kernels.map((k) => k.name) };
}

describe("gradients save their tensors without a kernel", () => {
  for (const backend of ["wasm", "cpu"]) {
    it(`on ${backend}: the same gradients as the engine's clones, no Identity kernels, no leak`, async () => {
      await tf.setBackend(backend);
      // tf.profile and variableGrads each keep a tensor of their own; the saves add none.
      const counts = () => [tf.memory().numTensors, tf.engine().backend.numDataIds()];
      const grown = async (f: () => Promise<Awaited<ReturnType<typeof step>>>) => {
        const before = counts();
        const result = await f();
        return { result, grown: counts().map((n, i) => n - before[i]!) };
      };
      uninstallTapeSaves();
      const { result: stock, grown: stockGrown } = await grown(step);
      installTapeSaves();
      const { result: cheap, grown: cheapGrown } = await grown(step);
      expect(cheapGrown).toEqual(stockGrown);
      expect(stock.kernels.filter((k) => k === "Identity").length).toBeGreaterThan(3);
      expect(cheap.kernels.filter((k) => k === "Identity")).toEqual([]);
      expect(cheap.grads.map((g) => Array.from(g))).toEqual(stock.grads.map((g) => Array.from(g)));
    });
  }

  it("keeps a saved value after its source is disposed and a variable is assigned", async () => {
    await tf.setBackend("wasm");
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    // d/dv sum(v * c) = c, where c is a tensor the Multiply saved and disposed before backprop.
    const { grads } = tf.variableGrads(() => {
      const c = tf.tensor1d([4, 5, 6]);
      const out = tf.sum(tf.mul(v, c));
      c.dispose();
      v.assign(tf.tensor1d([7, 8, 9]));
      return out as tf.Scalar;
    });
    expect(Array.from(await grads[v.name]!.data())).toEqual([4, 5, 6]);
    tf.dispose([v, ...Object.values(grads)]);
  });
});
