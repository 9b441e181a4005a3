import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { HIWL_CLASSES } from "../labels/classes.ts";
import { createModel, decide, load, type ModelShape } from "./model.ts";
import { calibrate } from "./calibration.ts";
import { buildEfficientNet, EFFICIENTNET_LAYERS } from "../network/efficientnet.ts";
import { ModelMetadataSchema, serializeModel, type ModelMetadata } from "../network/export.ts";
import { combineHierarchy } from "../network/combine.ts";
import { PREPROCESSING } from "../network/preprocess.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const SIZE = 32;
const net = (numClasses: number, seed: number) => buildEfficientNet({ variant: "nano", numClasses, inputSize: SIZE, seed, classifierInitScale: 30 });
const images = () => tf.randomNormal<tf.Rank.R4>([4, SIZE, SIZE, 3], 0, 1, "float32", 7);
const pooled = (network: tfl.LayersModel, x: tf.Tensor4D) =>
  (tfl.model({ inputs: network.inputs, outputs: network.getLayer(EFFICIENTNET_LAYERS.features).output }).predict(x) as tf.Tensor2D).arraySync();

function metadata(hierarchy: "hierarchical" | "flat"): ModelMetadata {
  return {
    formatVersion: 1,
    version: `test-${hierarchy}`,
    createdAt: new Date().toISOString(),
    classes: [...HIWL_CLASSES],
    hierarchy,
    variant: "nano",
    inputSize: SIZE,
    preprocessing: PREPROCESSING,
    metrics: {},
    trainingData: { galaxies: 0, perClass: {}, labelMode: "votes", weightedSampling: true, sources: [] },
  };
}

describe("the model API", { timeout: 120_000 }, () => {
  it("classifies with the combined hierarchy, decides by the largest probability, and embeds from the same pass", async () => {
    const networks = { level1: net(4, 1), level2: net(2, 2) };
    const model = createModel({ classes: [...HIWL_CLASSES], hierarchy: "hierarchical", inputSize: SIZE }, networks);
    const x = images();
    const expected = combineHierarchy(networks.level1.predict(x) as tf.Tensor2D, networks.level2.predict(x) as tf.Tensor2D).arraySync();
    const result = await model.classify(x, { embed: true });
    expect(result.probabilities).toEqual(expected);
    expect(result.predicted).toEqual(expected.map((p) => p.indexOf(Math.max(...p))));
    expect(result.embeddings).toEqual(pooled(networks.level1, x));
    expect(await model.embed(x)).toEqual(result.embeddings);
    // The same values handed over flat, as the trainer's image worker renders them.
    expect((await model.classify(x.dataSync() as Float32Array)).probabilities).toEqual(expected);
    expect((await model.classify(x)).embeddings).toBeUndefined();
    expect(() => createModel({ classes: [...HIWL_CLASSES], hierarchy: "hierarchical", inputSize: SIZE }, { level1: networks.level1 })).toThrow(/level2/);
    model.dispose();
  });

  it("samples Monte Carlo dropout passes apart from the deterministic prediction", async () => {
    const model = createModel({ classes: [...HIWL_CLASSES], hierarchy: "flat", inputSize: SIZE }, { flat: net(5, 3) });
    const x = images();
    const before = await model.classify(x);
    const passes = await model.sample(x, 3);
    expect(passes).toHaveLength(3);
    expect(passes[0]).toHaveLength(4);
    expect(passes[0]).not.toEqual(passes[1]);
    for (const pass of passes) for (const p of pass) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Sampling leaves the model deterministic.
    expect((await model.classify(x)).probabilities).toEqual(before.probabilities);
    await expect(model.sample(x, 0)).rejects.toThrow(/passes must be an integer >= 1/);
  });

  it("loads a version from its files with the same outputs as the networks it was saved from", async () => {
    const flat = net(5, 4);
    const loaded = await load({ metadata: metadata("flat"), files: { flat: await serializeModel(flat) } });
    const x = images();
    expect((await loaded.classify(x)).probabilities).toEqual((flat.predict(x) as tf.Tensor2D).arraySync());
    expect(loaded.metadata?.version).toBe("test-flat");
    await expect(load({ metadata: metadata("hierarchical"), files: { flat: await serializeModel(flat) } })).rejects.toThrow(/no level1 network files/);
  });

  it("calibrates every probability with the version's temperature, deciding the same classes", async () => {
    const flat = net(5, 5);
    const x = images();
    const raw = (flat.predict(x) as tf.Tensor2D).arraySync();
    const calibrated = await load({ metadata: { ...metadata("flat"), temperature: 2.5 }, files: { flat: await serializeModel(flat) } });
    const result = await calibrated.classify(x);
    expect(result.probabilities).toEqual(raw.map((p) => calibrate(p, 2.5)));
    expect(result.probabilities).not.toEqual(raw);
    expect(result.predicted).toEqual(raw.map(decide));
    expect(ModelMetadataSchema.safeParse({ ...metadata("flat"), temperature: 0 }).success).toBe(false);
  });

  it("averages the 8 rotations and flips of each image for a model with 8 views: the same answer for a turned or mirrored galaxy", async () => {
    const networks = { level1: net(4, 6), level2: net(2, 7) };
    const shape: ModelShape = { classes: [...HIWL_CLASSES], hierarchy: "hierarchical", inputSize: SIZE, views: 8 };
    const model = createModel(shape, networks);
    const x = images();
    const turned = tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 2); // a quarter turn
    const mirrored = tf.reverse(x, 1);
    const one = (view: tf.Tensor4D) => combineHierarchy(networks.level1.predict(view) as tf.Tensor2D, networks.level2.predict(view) as tf.Tensor2D);
    const views = [x, mirrored, tf.reverse(x, 2), tf.reverse(x, [1, 2])].flatMap((v) => [v, tf.transpose(v, [0, 2, 1, 3])]);
    const expected = tf.mean(tf.stack(views.map(one)), 0).arraySync() as number[][];
    const result = await model.classify(x, { embed: true });
    result.probabilities.flat().forEach((p, i) => expect(p).toBeCloseTo(expected.flat()[i]!, 6));
    for (const other of [turned, mirrored]) {
      const again = await model.classify(other, { embed: true });
      again.probabilities.flat().forEach((p, i) => expect(p).toBeCloseTo(result.probabilities.flat()[i]!, 6));
      again.embeddings!.flat().forEach((f, i) => expect(f).toBeCloseTo(result.embeddings!.flat()[i]!, 4));
    }
    // One view: the network's own answer, which a quarter turn changes.
    const single = createModel({ ...shape, views: 1 }, networks);
    expect((await single.classify(x)).probabilities).toEqual(one(x).arraySync());
    expect((await single.classify(turned)).probabilities).not.toEqual((await single.classify(x)).probabilities);
    expect(ModelMetadataSchema.safeParse({ ...metadata("flat"), views: 4 }).success).toBe(false);
  });

  it("decides by the largest probability, the first on ties", () => {
    expect(decide([0.1, 0.5, 0.4])).toBe(1);
    expect(decide([0.4, 0.4, 0.2])).toBe(0);
  });
});
