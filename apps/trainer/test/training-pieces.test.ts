import { beforeAll, describe, expect, it } from "vitest";
import { ANSWER_IDS, COARSE_CLASSES, HIWL_CLASSES, LABEL_SMOOTHING_EPS, MERGED_CLASS, CLASS_SETS, classSetOf } from "@hiwl/model";
import { buildEfficientNet, loadModelFromFiles, serializeModel } from "@hiwl/model/network";
import { cosineLearningRate, createOptimizer, NetworkTrainer, setLearningRate, stratifiedSplit, useCpuForRendering } from "@hiwl/model/training";
import { resolveTrainConfig } from "../src/training/config.ts";
import type { Dataset, Example } from "../src/training/dataset.ts";
import { batchesOf, epochOrder, isBetter } from "../src/training/loop.ts";
import { networkData } from "../src/training/train.ts";

beforeAll(async () => {
  await useCpuForRendering();
});

/** Cumulative vote fractions with the given answers set, the rest 0. */
function votes(values: Record<string, number>): number[] {
  return ANSWER_IDS.map((id) => values[id] ?? 0);
}

describe("per-class 80/10/10 split", () => {
  const classes = [
    ...Array<string>(100).fill("a"),
    ...Array<string>(50).fill("b"),
    ...Array<string>(7).fill("c"),
    ...Array<null>(5).fill(null),
  ];

  it("cuts every class 80/10/10 on its own and sends unlabelled items to training", () => {
    const split = stratifiedSplit(classes, 0);
    const count = (part: number[], cls: string | null) => part.filter((i) => classes[i] === cls).length;
    expect([count(split.train, "a"), count(split.val, "a"), count(split.test, "a")]).toEqual([80, 10, 10]);
    expect([count(split.train, "b"), count(split.val, "b"), count(split.test, "b")]).toEqual([40, 5, 5]);
    expect([count(split.train, "c"), count(split.val, "c"), count(split.test, "c")]).toEqual([5, 1, 1]);
    expect([count(split.train, null), count(split.val, null), count(split.test, null)]).toEqual([5, 0, 0]);
    const all = [...split.train, ...split.val, ...split.test].sort((x, y) => x - y);
    expect(all).toEqual(classes.map((_, i) => i));
  });

  it("is a function of the seed", () => {
    expect(stratifiedSplit(classes, 0)).toEqual(stratifiedSplit(classes, 0));
    expect(stratifiedSplit(classes, 1).test).not.toEqual(stratifiedSplit(classes, 0).test);
  });

  it("keeps a class's split when galaxies of another class are added", () => {
    const more = [...classes, ...Array<string>(30).fill("b")];
    const a = (s: { test: number[] }) => s.test.filter((i) => classes[i] === "a");
    expect(a(stratifiedSplit(more, 0))).toEqual(a(stratifiedSplit(classes, 0)));
  });
});

describe("class sets", () => {
  const hiwl = CLASS_SETS.hiwl;
  const coarse = CLASS_SETS.coarse;
  const round = votes({ "1.1": 0.9, "1.2": 0.1, "7.1": 0.8, "7.2": 0.1 });

  it("takes a catalogue label before the thresholded votes", () => {
    expect(hiwl.classOf({ catalogLabel: "spiral", votes: round })).toBe(HIWL_CLASSES.indexOf("spiral"));
    expect(hiwl.classOf({ catalogLabel: null, votes: round })).toBe(HIWL_CLASSES.indexOf("round"));
    // Galaxy Zoo 1's "smooth" has no roundness: no HIWL class, but a coarse one.
    expect(hiwl.classOf({ catalogLabel: "smooth", votes: null })).toBeNull();
    expect(coarse.classOf({ catalogLabel: "smooth", votes: null })).toBe(0);
    expect(coarse.classOf({ catalogLabel: "cigar", votes: null })).toBe(COARSE_CLASSES.indexOf("smooth"));
    expect(coarse.classOf({ catalogLabel: null, votes: round })).toBe(COARSE_CLASSES.indexOf("smooth"));
  });

  it("builds coarse targets like the 5-class ones, summed into three", () => {
    const lo = LABEL_SMOOTHING_EPS / 2;
    expect(coarse.target({ catalogLabel: "spiral", votes: null }, 2, "hard", "flat")).toEqual([0, 0, 1]);
    const smooth = coarse.target({ catalogLabel: "spiral", votes: null }, 2, "smooth", "flat")!;
    expect(smooth[0]).toBeCloseTo(lo / (1 - LABEL_SMOOTHING_EPS + 2 * lo));
    expect(smooth[2]! + smooth[0]! + smooth[1]!).toBeCloseTo(1);
    // Votes: 90% smooth, 10% disk split 50/50 between edge-on and face-on.
    const crowd = coarse.target({ catalogLabel: null, votes: votes({ "1.1": 0.9, "1.2": 0.1, "7.1": 0.9, "2.1": 0.05, "2.2": 0.05 }) }, 0, "votes", "flat")!;
    expect(crowd[0]).toBeGreaterThan(0.85);
    expect(crowd[1]).toBeCloseTo(crowd[2]!);
    expect(() => coarse.networks("hierarchical")).toThrow(/flat/);
  });

  it("maps the hierarchy's outputs: level 1 merges cigar and edge-on, level 2 splits them", () => {
    expect(hiwl.outputs("level1")[2]).toBe(MERGED_CLASS);
    expect(hiwl.levelIndex("level2", HIWL_CLASSES.indexOf("round"))).toBeNull();
    expect(hiwl.levelIndex("level1", HIWL_CLASSES.indexOf("edge-on"))).toBe(2);
    expect(classSetOf(["smooth", "edge-on", "spiral"])).toBe(coarse);
    expect(() => classSetOf(["spiral", "smooth", "edge-on"])).toThrow(/unknown class list/);
  });
});

describe("weighted sampling", () => {
  const labels = [...Array<number>(90).fill(0), ...Array<number>(10).fill(1)];

  it("draws classes in equal shares when weighted, every example once otherwise", () => {
    const weighted = epochOrder(labels, true, "s:1");
    expect(weighted).toHaveLength(100);
    const minority = weighted.filter((i) => labels[i] === 1).length;
    expect(minority).toBeGreaterThan(35);
    expect(minority).toBeLessThan(65);
    const shuffled = epochOrder(labels, false, "s:1");
    expect([...shuffled].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(epochOrder(labels, true, "s:1")).toEqual(weighted);
    expect(epochOrder(labels, true, "s:2")).not.toEqual(weighted);
  });

  it("passes over a small training set until the epoch holds the minimum, each pass a new order", () => {
    expect(epochOrder(labels, false, "s:1", 100)).toEqual(epochOrder(labels, false, "s:1"));
    const three = epochOrder(labels, false, "s:1", 250);
    expect(three).toHaveLength(300);
    const passes = [three.slice(0, 100), three.slice(100, 200), three.slice(200)];
    expect(passes[0]).toEqual(epochOrder(labels, false, "s:1"));
    for (const pass of passes) expect([...pass].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(passes[1]).not.toEqual(passes[0]);
    expect(epochOrder(labels, true, "s:1", 101)).toHaveLength(200);
    expect(() => resolveTrainConfig({ minEpochExamples: -1 })).toThrow(/minimum epoch examples must be an integer >= 0, got -1/);
  });

  it("is used by level 2 and flat networks when on, never by level 1", () => {
    const cls = (name: string) => HIWL_CLASSES.indexOf(name as (typeof HIWL_CLASSES)[number]);
    const examples: Example[] = ["round", "round", "cigar", "edge-on", "spiral", "cigar"].map((c, i) => ({
      galaxyId: i + 1,
      source: "t",
      imagePath: `${i}.jpg`,
      catalogLabel: c,
      votes: null,
      cls: cls(c),
    }));
    const dataset: Dataset = {
      set: CLASS_SETS.hiwl,
      examples,
      split: { train: [0, 1, 2, 3, 4], val: [5], test: [] },
      fingerprint: "x",
    };
    const on = resolveTrainConfig({ weightedSampling: true });
    const level1 = networkData(dataset, on, "level1");
    const level2 = networkData(dataset, on, "level2");
    expect([level1.weighted, level2.weighted, networkData(dataset, resolveTrainConfig({ hierarchy: "flat" }), "flat").weighted]).toEqual([false, true, true]);
    expect(networkData(dataset, resolveTrainConfig({ weightedSampling: false }), "level2").weighted).toBe(false);
    // Level 2 trains on cigar and edge-on only, with binary targets; its validation truth is the level's index.
    expect(level1.train.indices).toEqual([0, 1, 2, 3, 4]);
    expect(level2.train.indices).toEqual([2, 3]);
    expect(level2.train.targets.map((t) => t.length)).toEqual([2, 2]);
    expect(level2.val.indices).toEqual([5]);
    expect(level2.val.truth).toEqual([0]);
    expect(level2.val.targets[0]![0]).toBeCloseTo(0.95, 12);
  });
});

describe("optimisation", () => {
  it("anneals the learning rate along a cosine to zero", () => {
    expect(cosineLearningRate(0.005, 0, 100)).toBe(0.005);
    expect(cosineLearningRate(0.005, 50, 100)).toBeCloseTo(0.0025);
    expect(cosineLearningRate(0.005, 100, 100)).toBeCloseTo(0);
  });

  it("warms up linearly to the base rate, then spans the cosine over the remaining steps", () => {
    [0.0008, 0.0016, 0.0024, 0.0032].forEach((lr, step) => expect(cosineLearningRate(0.004, step, 104, 4)).toBeCloseTo(lr, 15));
    expect(cosineLearningRate(0.004, 4, 104, 4)).toBe(0.004);
    expect(cosineLearningRate(0.004, 54, 104, 4)).toBeCloseTo(0.002, 12);
    expect(cosineLearningRate(0.004, 104, 104, 4)).toBeCloseTo(0, 12);
    expect(cosineLearningRate(0.004, 30, 100, 0)).toBe(cosineLearningRate(0.004, 30, 100));
  });

  it("builds the network with the small classifier init and batch-norm momentum 0.9 unless told otherwise", () => {
    const byDefault = resolveTrainConfig({});
    expect([byDefault.batchNormMomentum, byDefault.classifierInitScale]).toEqual([0.9, 0.05]);
    const keras = resolveTrainConfig({ batchNormMomentum: 0.99, classifierInitScale: 1, warmupEpochs: 2 });
    expect([keras.batchNormMomentum, keras.classifierInitScale, keras.warmupEpochs]).toEqual([0.99, 1, 2]);
    expect(() => resolveTrainConfig({ batchNormMomentum: 1 })).toThrow(/batch-norm momentum must be in \[0, 1\), got 1/);
    expect(() => resolveTrainConfig({ classifierInitScale: 0 })).toThrow(/classifier init scale must be positive, got 0/);
    expect(() => resolveTrainConfig({ warmupEpochs: -1 })).toThrow(/warm-up epochs must be >= 0, got -1/);
  });

  it("sets the learning rate of SGD and Adam (which answers instanceof SGDOptimizer too)", () => {
    const sgd = createOptimizer("sgd", 0.1);
    const adam = createOptimizer("adam", 0.1);
    setLearningRate(sgd, 0.02);
    setLearningRate(adam, 0.03);
    expect(sgd.getConfig()["learningRate"]).toBe(0.02);
    expect(adam.getConfig()["learningRate"]).toBe(0.03);
    sgd.dispose();
    adam.dispose();
  });

  it("restores the optimizer state so that the next step is the same as without a restart", async () => {
    const images = Float32Array.from({ length: 4 * 16 * 16 * 3 }, (_, i) => Math.sin(i));
    const targets = [
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
    ];
    const make = () => buildEfficientNet({ variant: "nano", numClasses: 2, inputSize: 16, seed: 7, dropConnectRate: 0 });
    const rng = () => 0.5;
    const a = new NetworkTrainer(make(), { optimizer: "sgd", learningRate: 0.01, weightDecay: 1e-4 });
    await a.step(images, targets, 0.01, rng);
    const firstLoss = (await a.totals()).lossSum;
    const state = await a.saveState();
    const b = new NetworkTrainer(await loadModelFromFiles(await serializeModel(a.model)), {
      optimizer: "sgd",
      learningRate: 0.01,
      weightDecay: 1e-4,
    });
    await b.loadState(state);
    await a.step(images, targets, 0.01, rng);
    await b.step(images, targets, 0.01, rng);
    const [stepA, stepB] = [await a.totals(), await b.totals()];
    expect([stepA.steps, stepB.steps]).toEqual([1, 1]);
    expect(stepB.lossSum).toBe(stepA.lossSum);
    expect(stepA.lossSum).not.toBe(firstLoss);
    const after = (t: NetworkTrainer) => Array.from(t.model.getWeights()[0]!.dataSync());
    expect(after(b)).toEqual(after(a));
    for (const t of [a, b]) {
      t.dispose();
      t.model.dispose();
    }
  });
});

describe("batches", () => {
  it("drops a last batch of one image (batch norm needs two)", () => {
    expect(batchesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4]]);
    expect(batchesOf([1, 2, 3, 4, 5, 6], 4)).toEqual([[1, 2, 3, 4], [5, 6]]);
  });
});

describe("the epoch kept", () => {
  const epoch = (n: number, valLoss: number, valAccuracy: number) => ({ epoch: n, valLoss, valAccuracy });
  const record = (n: number, valLoss: number, valAccuracy: number) => ({ ...epoch(n, valLoss, valAccuracy), learningRate: 0.001, trainLoss: 1, trainAccuracy: 0.5 });

  it("by accuracy: higher accuracy wins whatever the loss, ties go to the lower loss", () => {
    expect(isBetter(record(2, 0.9, 0.8), epoch(1, 0.5, 0.75), "accuracy")).toBe(true);
    expect(isBetter(record(2, 0.4, 0.7), epoch(1, 0.5, 0.75), "accuracy")).toBe(false);
    expect(isBetter(record(2, 0.4, 0.75), epoch(1, 0.5, 0.75), "accuracy")).toBe(true);
  });

  it("by loss: the lower loss wins whatever the accuracy", () => {
    expect(isBetter(record(2, 0.9, 0.8), epoch(1, 0.5, 0.75), "loss")).toBe(false);
    expect(isBetter(record(2, 0.4, 0.7), epoch(1, 0.5, 0.75), "loss")).toBe(true);
  });

  it("last: every epoch replaces the one kept, so early stopping never fires", () => {
    expect(isBetter(record(2, 9, 0.1), epoch(1, 0.5, 0.75), "last")).toBe(true);
  });

  it("the first epoch, and every epoch without validation galaxies, replaces what was kept", () => {
    expect(isBetter(record(1, 2, 0.1), null, "loss")).toBe(true);
    expect(isBetter({ ...record(3, 0, 0), valLoss: null, valAccuracy: null }, epoch(2, 0.1, 0.9), "accuracy")).toBe(true);
  });

  it("is checked, and is the last epoch for the worker, the best accuracy in HIWL's own recipe", () => {
    expect(resolveTrainConfig({}).bestBy).toBe("last");
    expect(resolveTrainConfig({ preset: "paper" }).bestBy).toBe("accuracy");
    expect(() => resolveTrainConfig({ bestBy: "f1" as "loss" })).toThrow(/best by must be one of accuracy, loss, last/);
  });
});
