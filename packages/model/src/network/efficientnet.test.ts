import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildEfficientNet,
  copyBackbone,
  DEFAULT_BATCH_NORM_MOMENTUM,
  DropConnect,
  EFFICIENTNET_LAYERS,
  efficientNetBlocks,
  roundFilters,
  roundRepeats,
} from "./efficientnet.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** Layers counted once per MBConv block: every block ends in a projection batch norm. */
const blockCount = (model: tfl.LayersModel) => model.layers.filter((l) => l.name.endsWith("_project_bn")).length;

describe("EfficientNet", { timeout: 120_000 }, () => {
  it("rounds filters and repeats as Keras does", () => {
    expect([32, 16, 24, 40, 80, 112, 192, 320, 1280].map((f) => roundFilters(f, 1.1))).toEqual([
      32, 16, 24, 48, 88, 120, 208, 352, 1408,
    ]);
    expect(roundFilters(32, 0.25)).toBe(8);
    expect(roundFilters(1280, 0.25)).toBe(320);
    expect([1, 2, 2, 3, 3, 4, 1].map((r) => roundRepeats(r, 1.1))).toEqual([2, 3, 3, 4, 4, 5, 2]);
  });

  // Keras EfficientNetB0/B1 (include_top, 1000 classes) report 5,330,571 / 7,856,239 params,
  // 7 of which belong to their input Normalization layer (mean 3, variance 3, count 1), which
  // this model leaves to preprocess.ts.
  it("B0 at 224 has Keras's parameter count and 16 MBConv blocks", () => {
    const model = buildEfficientNet({ variant: "b0", numClasses: 1000, inputSize: 224 });
    expect(model.countParams()).toBe(5_330_571 - 7);
    expect(efficientNetBlocks("b0")).toHaveLength(16);
    expect(blockCount(model)).toBe(16);
    expect(model.outputs[0]!.shape).toEqual([null, 1000]);
    expect(model.getLayer(EFFICIENTNET_LAYERS.lastConv).outputShape).toEqual([null, 7, 7, 1280]);
    expect(model.getLayer(EFFICIENTNET_LAYERS.features).outputShape).toEqual([null, 1280]);
    model.dispose();
  });

  it("B1 at 240 has Keras's parameter count and 23 MBConv blocks", () => {
    const model = buildEfficientNet({ variant: "b1", numClasses: 1000, inputSize: 240 });
    expect(model.countParams()).toBe(7_856_239 - 7);
    expect(blockCount(model)).toBe(23);
    model.dispose();
  });

  it("puts stochastic depth only on identity skips, rising linearly to the rate", () => {
    const blocks = efficientNetBlocks("b0", 0.2);
    expect(blocks.map((b) => b.name).slice(0, 4)).toEqual(["block1a", "block2a", "block2b", "block3a"]);
    expect(blocks.filter((b) => b.skip).map((b) => b.name)).toEqual([
      "block2b", "block3b", "block4b", "block4c", "block5b", "block5c", "block6b", "block6c", "block6d",
    ]);
    expect(blocks[15]!.dropRate).toBeCloseTo((0.2 * 15) / 16, 12);
    const model = buildEfficientNet({ variant: "b0", numClasses: 5, inputSize: 32, dropConnectRate: 0.2 });
    expect(model.layers.filter((l) => l instanceof DropConnect)).toHaveLength(9);
    model.dispose();
  });

  it("builds the CPU variants with softmax outputs of the requested shape", () => {
    for (const variant of ["tiny", "nano"] as const) {
      const model = buildEfficientNet({ variant, numClasses: 5, inputSize: 32, seed: 1 });
      const p = model.predict(tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 2)) as tf.Tensor2D;
      expect(p.shape).toEqual([2, 5]);
      for (const row of p.arraySync()) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      model.dispose();
    }
  });

  it("builds identical weights from the same seed", () => {
    const weights = (seed: number) => {
      const model = buildEfficientNet({ variant: "nano", numClasses: 5, inputSize: 32, seed });
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    const a = weights(7);
    expect(weights(7)).toEqual(a);
    expect(weights(8)).not.toEqual(a);
  });

  it("scales the classifier's initial weights from Keras' and leaves every other weight as Keras builds it", () => {
    const build = (classifierInitScale: number) =>
      buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32, seed: 5, classifierInitScale });
    const keras = build(1);
    const small = build(0.05);
    const kernel = (model: tfl.LayersModel) => Array.from(model.getLayer(EFFICIENTNET_LAYERS.predictions).getWeights()[0]!.dataSync());
    const k1 = kernel(keras);
    const k005 = kernel(small);
    // Keras: uniform within sqrt(3 * (1/3) / fanOut), fanOut the 3 classes.
    const limit = 1 / Math.sqrt(3);
    expect(Math.max(...k1.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...k1.map(Math.abs))).toBeGreaterThan(0.95 * limit);
    k005.forEach((w, i) => expect(w).toBeCloseTo(0.05 * k1[i]!, 6));
    const others = (model: tfl.LayersModel) =>
      model.layers.filter((l) => l.name !== EFFICIENTNET_LAYERS.predictions).flatMap((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
    expect(others(small)).toEqual(others(keras));
    keras.dispose();
    small.dispose();
  });

  it("gives every batch norm the requested moving-average momentum, PyTorch's 0.9 by default", () => {
    const momenta = (model: tfl.LayersModel) => {
      const bns = model.layers.filter((l) => l.getClassName() === "BatchNormalization");
      const values = new Set(bns.map((l) => l.getConfig()["momentum"]));
      model.dispose();
      return { count: bns.length, values: [...values] };
    };
    expect(DEFAULT_BATCH_NORM_MOMENTUM).toBe(0.9);
    const byDefault = momenta(buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32 }));
    expect(byDefault.count).toBeGreaterThan(10);
    expect(byDefault.values).toEqual([0.9]);
    expect(momenta(buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32, batchNormMomentum: 0.99 })).values).toEqual([0.99]);
  });

  it("moves the moving statistics by (1 - momentum) of the batch's per step", () => {
    const input = tfl.input({ shape: [4] });
    const layer = tfl.layers.batchNormalization({ momentum: DEFAULT_BATCH_NORM_MOMENTUM });
    tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    const x = tf.tensor2d([[2, 2, 2, 2], [4, 4, 4, 4]]);
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    // The moving mean starts at 0; the batch mean is 3.
    expect(Array.from(layer.getWeights()[2]!.dataSync()).map((v) => +v.toFixed(6))).toEqual([0.3, 0.3, 0.3, 0.3]);
    x.dispose();
  });

  it("DropConnect drops whole samples in training and is the identity at inference", () => {
    const layer = new DropConnect({ rate: 0.5 });
    const x = tf.ones([256, 2, 2, 1]);
    expect((layer.apply(x) as tf.Tensor).arraySync()).toEqual(x.arraySync());
    const y = layer.apply(x, { training: true }) as tf.Tensor4D;
    const perSample = (tf.reshape(y, [256, 4]).arraySync() as number[][]).map((row) => new Set(row));
    for (const values of perSample) expect([...values].length).toBe(1);
    const kept = perSample.filter((v) => v.has(2)).length;
    expect(perSample.every((v) => v.has(0) || v.has(2))).toBe(true);
    expect(kept).toBeGreaterThan(90);
    expect(kept).toBeLessThan(166);
  });
});

describe("copyBackbone", () => {
  it("starts a network of other classes and input size from another's backbone, its own classifier kept", () => {
    const source = buildEfficientNet({ variant: "nano", numClasses: 5, inputSize: 32, seed: 1 });
    const target = buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 48, seed: 2 });
    const classifier = target.getLayer(EFFICIENTNET_LAYERS.predictions).getWeights().map((w) => w.dataSync().slice());
    const moving = (m: tfl.LayersModel) => m.getLayer("top_bn").getWeights().map((w) => Array.from(w.dataSync()));
    tf.tidy(() => source.getLayer("top_bn").setWeights(source.getLayer("top_bn").getWeights().map((w) => tf.add(w, 0.5))));
    expect(moving(target)).not.toEqual(moving(source));

    const copied = copyBackbone(target, source);

    expect(copied).toBe(target.layers.filter((l) => l.weights.length > 0).length - 1);
    expect(Array.from(target.getLayer("stem_conv").getWeights()[0]!.dataSync())).toEqual(Array.from(source.getLayer("stem_conv").getWeights()[0]!.dataSync()));
    // Batch norm's moving statistics come along with its scales and offsets.
    expect(moving(target)).toEqual(moving(source));
    target.getLayer(EFFICIENTNET_LAYERS.predictions).getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(classifier[i]));
    source.dispose();
    target.dispose();
  });

  it("refuses another variant, naming the layer", () => {
    const nano = buildEfficientNet({ variant: "nano", numClasses: 3, inputSize: 32, seed: 1 });
    const tiny = buildEfficientNet({ variant: "tiny", numClasses: 3, inputSize: 32, seed: 1 });
    expect(() => copyBackbone(tiny, nano)).toThrow(/cannot copy the backbone of efficientnet-nano into efficientnet-tiny: its layer \S+ (has weights|is missing)/);
    nano.dispose();
    tiny.dispose();
  });
});
