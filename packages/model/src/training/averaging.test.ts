import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { buildEfficientNet } from "../network/efficientnet.ts";
import { moveAverage } from "./averaging.ts";

describe("weight averaging", () => {
  it("moves every weight and batch-norm statistic towards the network's by 1 - decay", async () => {
    await tf.setBackend("cpu");
    const network = buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32, seed: 1 });
    const averaged = buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32, seed: 2 });
    // Moving statistics are weights too: give them values the two networks do not share.
    const moving = network.weights.findIndex((w) => w.name.includes("moving_mean"));
    expect(moving).toBeGreaterThanOrEqual(0);
    network.weights[moving]!.write(tf.mul(tf.onesLike(network.weights[moving]!.read()), 3));
    const before = averaged.weights.map((w) => w.read().dataSync().slice());
    const target = network.weights.map((w) => w.read().dataSync().slice());

    moveAverage(averaged, network, 0.75);

    averaged.weights.forEach((w, i) => {
      const after = w.read().dataSync();
      const k = after.length - 1;
      expect(after[k]).toBeCloseTo(0.75 * before[i]![k]! + 0.25 * target[i]![k]!, 5);
    });
    expect(averaged.weights[moving]!.read().dataSync()[0]).toBeCloseTo(0.75 * before[moving]![0]! + 0.75, 5);
    // The network averaged from is untouched.
    network.weights.forEach((w, i) => expect(w.read().dataSync()).toEqual(target[i]));
    network.dispose();
    averaged.dispose();
  });

  it("refuses another architecture and a decay outside [0, 1)", () => {
    const small = buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32, seed: 1 });
    const wider = buildEfficientNet({ variant: "nano", numClasses: 5, inputSize: 32, seed: 1 });
    expect(() => moveAverage(small, wider, 0.5)).toThrow(/cannot average .* \[\d+,5\] into .* \[\d+,3\]/);
    expect(() => moveAverage(small, small, 1)).toThrow(/decay must be in \[0, 1\), got 1/);
    small.dispose();
    wider.dispose();
  });
});
