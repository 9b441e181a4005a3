import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { install, selectBackend } from "@hiwl/tfjs";
import { buildEfficientNet, EFFICIENTNET_LAYERS } from "../network/efficientnet.ts";
import { PREPROCESSING } from "../network/preprocess.ts";
import { createRng } from "../random.ts";
import { ContrastiveTrainer, ntXentLoss } from "./contrastive.ts";
import { renderCutouts } from "./render.ts";

const read = async (t: tf.Tensor) => (await t.data())[0]!;

describe("NT-Xent", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("is log(sum of exp over the other views) minus the partner's similarity, per view", async () => {
    // Two images, each seen as the unit vectors e1 and e2: every view's partner is its twin
    // (similarity 1), the other two views are orthogonal (0): log(e^0 + e^1 + e^0) - 1.
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    const matched = ntXentLoss(a, a.clone(), 1);
    expect(await read(matched.loss)).toBeCloseTo(Math.log(2 + Math.E) - 1, 6);
    expect(await read(matched.correct)).toBe(4);
    // Partners swapped: each view's partner is orthogonal to it and the most similar view is someone else's.
    const swapped = ntXentLoss(a, tf.tensor2d([[0, 1], [1, 0]]), 1);
    expect(await read(swapped.loss)).toBeCloseTo(Math.log(2 + Math.E), 6);
    expect(await read(swapped.correct)).toBe(0);
    // Cosine similarity: the embeddings' lengths do not count; the temperature divides the similarities.
    const scaled = ntXentLoss(tf.mul(a, 7), tf.tensor2d([[3, 0], [0, 0.5]]), 1);
    expect(await read(scaled.loss)).toBeCloseTo(Math.log(2 + Math.E) - 1, 5);
    const sharp = ntXentLoss(a, a.clone(), 0.5);
    expect(await read(sharp.loss)).toBeCloseTo(Math.log(2 + Math.exp(2)) - 2, 5);
  });
});

describe("contrastive pretraining on wasm", () => {
  it("learns to pair two views of the same images, leaving the classifier as it was (nano, 32 px)", { timeout: 300_000 }, async () => {
    install();
    await selectBackend({ backend: "wasm" });
    // Eight cutouts of a bright blob at different places and sizes, each seen as two random
    // crops, rotations and colour jitters; two such pairs of batches take turns.
    const side = 48;
    const count = 8;
    const pixels = Uint8Array.from({ length: count * side * side * 3 }, (_, i) => {
      const n = Math.floor(i / (side * side * 3));
      const y = Math.floor(i / (side * 3)) % side;
      const x = Math.floor(i / 3) % side;
      const r = Math.hypot(x - 14 - 3 * n, y - 34 + 2 * n);
      return r < 3 + n ? 200 - 15 * n : 5 + 3 * (i % 3) * n;
    });
    const views = (seed: string) => renderCutouts(pixels, count, side, 32, { seed, rotationDegrees: 180, cropScale: [0.5, 1], colour: 0.2 });
    const network = buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32, seed: 4 });
    const classifier = network.getLayer(EFFICIENTNET_LAYERS.predictions).getWeights().map((w) => w.dataSync().slice());
    const stem = network.getLayer("stem_conv").getWeights()[0]!.dataSync().slice();
    const trainer = new ContrastiveTrainer(network, { learningRate: 0.003, weightDecay: 0, temperature: 0.2, seed: 1 });
    const losses: number[] = [];
    for (let step = 0; step < 24; step++) {
      trainer.step(views(`a${step % 2}`), views(`b${step % 2}`), 0.003, createRng(`drop${step}`));
      const totals = await trainer.totals();
      expect(totals.images).toBe(2 * count);
      losses.push(totals.lossSum / totals.images);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(losses.every(Number.isFinite)).toBe(true);
    // Chance is log(15) = 2.71 (each view's partner among 15 others).
    expect(mean(losses.slice(0, 3))).toBeGreaterThan(2);
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)) - 1);
    expect(network.getLayer("stem_conv").getWeights()[0]!.dataSync()).not.toEqual(stem);
    network.getLayer(EFFICIENTNET_LAYERS.predictions).getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(classifier[i]));
    trainer.dispose();
    // The network outlives the trainer and still predicts.
    expect((network.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).shape).toEqual([1, 3]);
    network.dispose();
  });
});

describe("colour jitter", () => {
  it("scales each channel of each view's intensity by one factor within e^-c..e^c", async () => {
    await tf.setBackend("cpu");
    const side = 16;
    const pixels = Uint8Array.from({ length: 2 * side * side * 3 }, (_, i) => 20 + ((i * 37) % 200));
    const plain = renderCutouts(pixels, 2, side, 8, { seed: "v", rotationDegrees: 30 });
    expect(renderCutouts(pixels, 2, side, 8, { seed: "v", rotationDegrees: 30, colour: 0 })).toEqual(plain);
    const jittered = renderCutouts(pixels, 2, side, 8, { seed: "v", rotationDegrees: 30, colour: 0.3 });
    const { mean, std } = PREPROCESSING;
    const intensity = (values: Float32Array, k: number) => values[k]! * std[k % 3]! + mean[k % 3]!;
    for (let image = 0; image < 2; image++) {
      for (let c = 0; c < 3; c++) {
        const ratios: number[] = [];
        for (let k = image * 64 * 3 + c; k < (image + 1) * 64 * 3; k += 3) {
          if (intensity(plain, k) > 0.05) ratios.push(intensity(jittered, k) / intensity(plain, k));
        }
        expect(ratios.length).toBeGreaterThan(20);
        expect(Math.max(...ratios) - Math.min(...ratios)).toBeLessThan(1e-4);
        expect(ratios[0]).toBeGreaterThanOrEqual(Math.exp(-0.3) - 1e-5);
        expect(ratios[0]).toBeLessThanOrEqual(Math.exp(0.3) + 1e-5);
      }
    }
  });
});
