import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { buildEfficientNet } from "./efficientnet.ts";
import { preprocessForInference } from "./preprocess.ts";
import { HIWL_LOSS, trainingTarget } from "../labels/targets.ts";
import { install, selectBackend } from "@hiwl/tfjs";

// wasm trains only with the gradient kernels install() registers. The batch is fixed:
// with a fresh random view every step, 4 noisy images are memorised view by view and the
// loss of a net this size jumps around too much for a few-step test.
describe.each(["cpu", "wasm"] as const)("training on %s", (backend) => {
  it("fits a trivially separable batch with decreasing loss (nano, 32 px)", { timeout: 300_000 }, async () => {
    install();
    await selectBackend({ backend });
    const model = buildEfficientNet({ variant: "nano", numClasses: 5, inputSize: 32, seed: 1 });
    model.compile({ optimizer: tf.train.adam(0.003), loss: HIWL_LOSS });
    // Bright noisy cutouts are round, dark ones spiral.
    const labels = ["round", "spiral", "round", "spiral"] as const;
    const cutouts = tf.concat<tf.Tensor4D>(
      labels.map((label, i) =>
        label === "round"
          ? tf.randomUniform([1, 64, 64, 3], 128, 256, "int32", i)
          : tf.randomUniform([1, 64, 64, 3], 0, 128, "int32", i),
      ),
    );
    const x = preprocessForInference(cutouts, 32);
    const y = tf.tensor2d(labels.map((label) => trainingTarget({ label, votes: null }, "smooth")!));
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) losses.push((await model.trainOnBatch(x, y)) as number);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-2))).toBeLessThan(mean(losses.slice(0, 2)));
    model.dispose();
  });
});
