import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedSynthetic } from "@hiwl/catalog";
import { getActiveModelVersion, getGalaxy, listModelVersions, listTrainingGalaxies, modelVersionConfigOf, runMetricsOf, storedPath } from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { HIWL_CLASSES } from "@hiwl/model";
import { loadModelFromFiles, METADATA_FILE, ModelMetadataSchema, networkModelPath, PREPROCESSING, WEIGHTS_FILE } from "@hiwl/model/network";
import { confidenceByGroup, formatConfidenceGroups, unplacedGalaxies } from "../src/bench/gz1-unsure.ts";
import { applyActivationPolicy, decideActivation } from "../src/training/activation.ts";
import { loadDataset } from "../src/training/dataset.ts";
import { ImagePipeline } from "../src/training/image-pipeline.ts";
import { loadModelDir, readModelFiles } from "../src/training/model-dir.ts";
import { pretrainBackbone } from "../src/training/self-supervised.ts";
import { TrainingInterrupted } from "../src/training/loop.ts";
import { trainModel, type RunMetrics, type TrainOptions } from "../src/training/train.ts";

const t = useTestDb();
const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));

/**
 * Small enough for a 2-core machine: nano at 32 px, a few seconds per epoch. HIWL's recipe, whose values the tests name,
 * with every rotation in training and 8 views per prediction, so that every command below predicts through them.
 */
const SMALL: TrainOptions = {
  preset: "paper",
  variant: "nano",
  inputSize: 32,
  batch: 8,
  epochs: 2,
  seed: 3,
  rotationDegrees: 180,
  testViews: 8,
  backend: "wasm",
};

const stored = async (version: string) => {
  const row = (await listModelVersions(t.db)).find((v) => v.version === version)!;
  return { row, metrics: runMetricsOf(row), config: modelVersionConfigOf(row) };
};

/** Everything a seed must reproduce: all metrics but the wall-clock timings (and what happened after training). */
const reproducible = ({ timing: _timing, activation: _activation, ...rest }: RunMetrics) => rest;

const weights = (dir: string, level: "level1" | "level2") => readFile(join(dir, level, WEIGHTS_FILE));

function hiwl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return hiwlIn(t.dataDir, ...args);
}

function hiwlIn(dataDir: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [HIWL, ...args], {
    env: { ...process.env, HIWL_DATA_DIR: dataDir },
    timeout: 300_000,
  });
}

beforeAll(async () => {
  // 60 galaxies, all voted: about 45 get a HIWL class (every class present) and the rest votes only.
  await seedSynthetic(t.db, { count: 60, votes: 5, seed: "trainer", crowd: 20 }, t.dataDir);
});

describe("training data", () => {
  it("reads labels and vote fractions in one query and splits each class 80/10/10, the same way every time", async () => {
    const galaxies = await listTrainingGalaxies(t.db);
    expect(galaxies).toHaveLength(60);
    expect(galaxies.every((g) => g.voteFractions?.length === 37 && g.classificationCount === 5)).toBe(true);
    expect(await listTrainingGalaxies(t.db, { source: "elsewhere" })).toEqual([]);

    const dataset = await loadDataset(t.db, { classes: "hiwl", targets: "smooth", source: null, limit: null, splitSeed: 0 });
    expect(dataset.examples.every((e) => e.cls !== null)).toBe(true);
    for (const [k] of HIWL_CLASSES.entries()) {
      const n = dataset.examples.filter((e) => e.cls === k).length;
      const inPart = (part: number[]) => part.filter((i) => dataset.examples[i]!.cls === k).length;
      expect(inPart(dataset.split.val)).toBe(Math.round(n * 0.1));
      expect(inPart(dataset.split.test)).toBe(Math.round(n * 0.1));
      expect(inPart(dataset.split.train)).toBe(n - 2 * Math.round(n * 0.1));
    }
    const again = await loadDataset(t.db, { classes: "hiwl", targets: "smooth", source: null, limit: null, splitSeed: 0 });
    expect(again.split).toEqual(dataset.split);
    expect(again.fingerprint).toBe(dataset.fingerprint);
    // "votes" targets also train on galaxies that pass no selection rule.
    const votes = await loadDataset(t.db, { classes: "hiwl", targets: "votes", source: null, limit: null, splitSeed: 0 });
    expect(votes.examples.length).toBe(60);
    expect(votes.split.test).toEqual(dataset.split.test.map((i) => votes.examples.findIndex((e) => e.galaxyId === dataset.examples[i]!.galaxyId)));
  });
});

describe("hiwl train", () => {
  let first: Awaited<ReturnType<typeof trainModel>>;
  let pipeline: ImagePipeline;

  beforeAll(async () => {
    first = await trainModel(t.db, t.dataDir, SMALL);
    pipeline = await ImagePipeline.start();
  });
  afterAll(async () => {
    await pipeline?.close();
  });

  it("saves a model directory whose metadata validates, and records an inactive model version with its test galaxies", async () => {
    expect(first.dir).toBe(join(t.dataDir, "models", first.version));
    const metadata = ModelMetadataSchema.parse(JSON.parse(await readFile(join(first.dir, METADATA_FILE), "utf8")));
    expect(metadata).toMatchObject({ version: first.version, hierarchy: "hierarchical", variant: "nano", inputSize: 32, classes: [...HIWL_CLASSES], views: 8 });
    expect(metadata.preprocessing).toEqual({ ...PREPROCESSING, rotationDegrees: 180 });
    for (const level of ["level1", "level2"] as const) expect(existsSync(join(first.dir, networkModelPath(level)))).toBe(true);
    expect((await readdir(first.dir)).filter((f) => f.startsWith("checkpoint"))).toEqual([]);

    const { row, metrics, config } = await stored(first.version);
    // Relative to the data directory, so that it can be moved.
    expect(row.path).toBe(join("models", first.version));
    expect(config).toMatchObject({ preset: "paper", variant: "nano", inputSize: 32, optimizer: "sgd", lr: 0.005, targets: "smooth", backend: "wasm" });
    // Activation is the policy's decision, after training (activation.ts).
    expect(row.active).toBe(false);
    expect(await getActiveModelVersion(t.db)).toBeNull();
    expect(first.test).toHaveLength(metrics.split.test);
    // Calibrated on the validation galaxies: the temperature travels with the version, and the
    // test galaxies' calibration error is recorded before and after, with its reliability bins.
    expect(metrics.calibration!.temperature).toBeGreaterThan(0);
    expect(metadata.temperature).toBe(metrics.calibration!.temperature);
    expect(metrics.calibration!.bins.reduce((n, b) => n + b.count, 0)).toBe(metrics.split.test);
    for (const ece of [metrics.calibration!.eceBefore, metrics.calibration!.eceAfter]) expect(ece).toBeGreaterThanOrEqual(0);
    // Accuracy by coverage from every test galaxy down to the surest tenth, the first point the accuracy itself.
    const coverage = metrics.calibration!.coverage!;
    expect(coverage.map((p) => p.coverage)).toEqual([1, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]);
    expect(coverage[0]).toMatchObject({ count: metrics.split.test, accuracy: metrics.accuracy });
    for (let i = 1; i < coverage.length; i++) expect(coverage[i]!.minConfidence).toBeGreaterThanOrEqual(coverage[i - 1]!.minConfidence);
    const dataset = await loadDataset(t.db, first.config);
    expect(first.test).toEqual(
      dataset.split.test.map((i) => ({ galaxyId: dataset.examples[i]!.galaxyId, imagePath: dataset.examples[i]!.imagePath, cls: dataset.examples[i]!.cls })),
    );

    const confusionTotal = metrics.confusion.flat().reduce((a, b) => a + b, 0);
    expect(confusionTotal).toBe(metrics.split.test);
    expect(metrics.testGalaxies).toBe(metrics.split.test);
    expect(metrics.split.test).toBeGreaterThan(0);
    expect(Object.keys(metrics.perClass)).toEqual([...HIWL_CLASSES]);
    expect(metrics.accuracy).toBeCloseTo(metrics.confusion.reduce((s, r, i) => s + r[i]!, 0) / metrics.split.test, 12);
    expect(metrics.curves.level1!.map((e) => e.epoch)).toEqual([1, 2]);
    expect(metrics.curves.level2!).toHaveLength(2);
    expect(metrics.sampling).toEqual({ level1: "shuffled", level2: "class-balanced" });
    expect(Number.isFinite(metrics.curves.level1![0]!.trainLoss)).toBe(true);
    expect(metrics.curves.level1![1]!.learningRate).toBeLessThan(metrics.curves.level1![0]!.learningRate);
  });

  it("activates the first model only once it has scored every active galaxy, and records why", async () => {
    const steps: string[] = [];
    const { decision, modelVersion, scoring } = await applyActivationPolicy(t.db, first, {
      dataDir: t.dataDir,
      pipeline,
      scoring: { acquisition: "bald", passes: 2 },
      onStep: async (step) => {
        // Neither the decision nor the scoring run is in effect before the switch.
        steps.push(`${step.type}: ${(await getActiveModelVersion(t.db))?.version ?? "none active"}, ${await t.db.prediction.count()} predictions`);
      },
    });
    expect(steps).toEqual(["decided: none active, 0 predictions", "scored: none active, 0 predictions"]);
    const { row, metrics } = await stored(first.version);
    expect(decision).toMatchObject({
      activate: true,
      reason: "first model",
      newAccuracy: metrics.accuracy,
      activeVersion: null,
      activeAccuracy: null,
      galaxies: metrics.split.test,
    });
    expect(metrics.activation).toEqual(decision);
    expect(modelVersion).toEqual(row);
    expect(row.active).toBe(true);
    expect(scoring?.scored).toBe(60);
    expect(await t.db.prediction.count({ where: { modelVersionId: row.id, acquisition: { not: null } } })).toBe(60);
    expect((await getGalaxy(t.db, first.test[0]!.galaxyId))!.activePrediction?.modelVersionId).toBe(row.id);
  });

  it("gives identical metrics and weights for the same seed", async () => {
    const again = await trainModel(t.db, t.dataDir, SMALL);
    expect(await decideActivation(t.db, again, { force: false, dataDir: t.dataDir, pipeline })).toMatchObject({
      activate: false,
      reason: "--no-activate",
      newAccuracy: null,
      galaxies: 0,
    });
    expect(reproducible((await stored(again.version)).metrics)).toEqual(reproducible((await stored(first.version)).metrics));
    expect(Buffer.compare(await weights(again.dir, "level1"), await weights(first.dir, "level1"))).toBe(0);
    expect(Buffer.compare(await weights(again.dir, "level2"), await weights(first.dir, "level2"))).toBe(0);

    const otherSeed = await trainModel(t.db, t.dataDir, { ...SMALL, seed: 4, epochs: 1 });
    expect(Buffer.compare(await weights(otherSeed.dir, "level1"), await weights(first.dir, "level1"))).not.toBe(0);
  });

  it("resumes an interrupted run from its checkpoint and ends exactly where the uninterrupted run does", async () => {
    let interrupted: TrainingInterrupted | undefined;
    await trainModel(t.db, t.dataDir, SMALL, { stopAfterCheckpoint: (e) => e.level === "level1" && e.epoch === 1 }).catch(
      (error: unknown) => {
        if (!(error instanceof TrainingInterrupted)) throw error;
        interrupted = error;
      },
    );
    expect(interrupted?.version).toBeDefined();
    const dir = join(t.dataDir, "models", interrupted!.version!);
    expect(existsSync(join(dir, METADATA_FILE))).toBe(false);
    const pointer = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8")) as { dir: string };
    const state = JSON.parse(await readFile(join(dir, pointer.dir, "state.json"), "utf8")) as { networks: { level: string; epochsDone: number }[] };
    expect(state.networks.map((n) => [n.level, n.epochsDone])).toEqual([
      ["level1", 1],
      ["level2", 0],
    ]);

    const epochs: string[] = [];
    const resumed = await trainModel(t.db, t.dataDir, { resume: true, backend: "wasm" }, { onEpoch: (e) => epochs.push(`${e.level}:${e.epoch}`) });
    expect(resumed.version).toBe(interrupted!.version);
    expect(epochs).toEqual(["level1:2", "level2:1", "level2:2"]);
    expect(reproducible((await stored(resumed.version)).metrics)).toEqual(reproducible((await stored(first.version)).metrics));
    expect(Buffer.compare(await weights(resumed.dir, "level1"), await weights(first.dir, "level1"))).toBe(0);
    await expect(trainModel(t.db, t.dataDir, { resume: resumed.version })).rejects.toThrow(/already finished/);
  });

  // With weight averaging: a resumed run that lost the average would restart it from epoch 2's weights.
  it("trains over two replicas on worker threads with averaged weights, records both, and resumes from a checkpoint to the same bits", async () => {
    const parallel = { ...SMALL, workers: 2, emaDecay: 0.5 };
    const whole = await trainModel(t.db, t.dataDir, parallel);
    expect((await stored(whole.version)).config).toMatchObject({ workers: 2, emaDecay: 0.5 });
    let interrupted: TrainingInterrupted | undefined;
    await trainModel(t.db, t.dataDir, parallel, { stopAfterCheckpoint: (e) => e.level === "level1" && e.epoch === 1 }).catch((error: unknown) => {
      if (!(error instanceof TrainingInterrupted)) throw error;
      interrupted = error;
    });
    const resumed = await trainModel(t.db, t.dataDir, { resume: interrupted!.version!, backend: "wasm" });
    expect(reproducible((await stored(resumed.version)).metrics)).toEqual(reproducible((await stored(whole.version)).metrics));
    for (const level of ["level1", "level2"] as const) {
      expect(Buffer.compare(await weights(resumed.dir, level), await weights(whole.dir, level))).toBe(0);
    }
    // Batch norm sees half a batch per replica: the same recipe on one thread is another (close) model.
    const one = await trainModel(t.db, t.dataDir, { ...parallel, workers: 1 });
    expect(Buffer.compare(await weights(one.dir, "level1"), await weights(whole.dir, "level1"))).not.toBe(0);
  });

  it("starts from an earlier model's weights with --init-from, from its backbone where its classes differ, and refuses another variant", async () => {
    const still = { ...SMALL, epochs: 1, lr: 1e-9, weightDecay: 0 };
    const warm = await trainModel(t.db, t.dataDir, { ...still, initFrom: first.dir });
    const cold = await trainModel(t.db, t.dataDir, still);
    // The five classes' hierarchy starts the coarse classes' flat network, at another input size.
    const transferred = await trainModel(t.db, t.dataDir, { ...still, classes: "coarse", inputSize: 40, initFrom: first.dir });
    expect((await stored(warm.version)).config.initFrom).toBe(first.dir);
    // At a learning rate of 1e-9 the weights stay where they started: the first model's, or a new random draw.
    const weightsOf = async (dir: string, level: "level1" | "flat", rank: number) => {
      const model = await loadModelDir(dir);
      try {
        return model.networks[level]!.getWeights().filter((w) => w.shape.length === rank).map((w) => w.dataSync());
      } finally {
        model.dispose();
      }
    };
    const maxDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]) =>
      a.reduce((m, w, i) => Array.from(w).reduce((mw, v, j) => Math.max(mw, Math.abs(v - b[i]![j]!)), m), 0);
    const start = await weightsOf(first.dir, "level1", 4);
    expect(maxDiff(await weightsOf(warm.dir, "level1", 4), start)).toBeLessThan(1e-6);
    expect(maxDiff(await weightsOf(cold.dir, "level1", 4), start)).toBeGreaterThan(1e-2);
    expect(maxDiff(await weightsOf(transferred.dir, "flat", 4), start)).toBeLessThan(1e-6);
    // Its classifier is its own, sized for the three coarse classes (level 1 has four).
    const [classifier] = await weightsOf(transferred.dir, "flat", 2);
    expect(classifier!.length % 3).toBe(0);
    expect(classifier!.length).not.toBe((await weightsOf(first.dir, "level1", 2))[0]!.length);

    const before = await readdir(join(t.dataDir, "models"));
    await expect(hiwl("train", "--init-from", first.version, "--variant", "tiny", "--epochs", "1", "--backend", "wasm")).rejects.toThrow(
      new RegExp(`cannot start from ${first.dir}: it is nano 32 px, hierarchical, round/in-between/cigar/edge-on/spiral, this run trains tiny 64 px`),
    );
    expect(await readdir(join(t.dataDir, "models"))).toEqual(before);

    // bench gz1 passes its --init-from to the same check: a folder of three galaxies in Galaxy Zoo 1's layout.
    const gz1 = await mkdtemp(join(tmpdir(), "hiwl-gz1-folder-"));
    try {
      await mkdir(join(gz1, "images"));
      const pngs = (await readdir(join(t.dataDir, "images", "synthetic"))).slice(0, 3);
      await Promise.all(pngs.map((png, i) => copyFile(join(t.dataDir, "images", "synthetic", png), join(gz1, "images", `${i + 1}.png`))));
      await writeFile(join(gz1, "labels.csv"), "objid,label\n1,elliptical\n2,edge_on\n3,spiral_clockwise\n");
      const bench = hiwlIn(join(gz1, "data"), "bench", "gz1", "--gz1", gz1, "--data-dir", join(gz1, "data"), "--init-from", first.dir, "--variant", "tiny", "--backend", "wasm");
      await expect(bench).rejects.toThrow(new RegExp(`cannot start from ${first.dir}: it is nano 32 px, .*this run trains tiny 80 px`));
      // Asked to pretrain, it does so first, on the images outside its test galaxies: too few here.
      const pretraining = hiwlIn(join(gz1, "data"), "bench", "gz1", "--gz1", gz1, "--data-dir", join(gz1, "data"), "--pretrain-epochs", "1", "--backend", "wasm");
      await expect(pretraining).rejects.toThrow(/\d catalogue images outside the gz1 preset's test galaxies: pretraining needs at least a batch \(64\)/);
    } finally {
      await rm(gz1, { recursive: true, force: true });
    }
  });

  it("pretrains a backbone without labels on every image but the test galaxies, writes it whole, and starts a run from it", async () => {
    const training = { preset: "paper" as const, variant: "nano" as const, inputSize: 32 };
    const settings = { epochs: 2, batch: 16, seed: 2, backend: "wasm" as const, training };
    // An interrupted pretraining leaves no folder behind, not even a partial one.
    const interrupted = pretrainBackbone(t.db, t.dataDir, settings, {
      onEpoch: () => {
        throw new Error("killed");
      },
    });
    await expect(interrupted).rejects.toThrow("killed");
    expect(existsSync(join(t.dataDir, "backbones")) ? await readdir(join(t.dataDir, "backbones")) : []).toEqual([]);

    const { dir, metadata } = await pretrainBackbone(t.db, t.dataDir, settings);
    const { split } = await loadDataset(t.db, { classes: "hiwl", targets: "smooth", source: null, limit: null, splitSeed: 0 });
    expect(metadata.heldOut).toMatchObject({ preset: "paper", classes: "hiwl", galaxies: split.test.length });
    expect(metadata.images).toBe(60 - split.test.length);
    expect(metadata.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    // Chance for a view is 1 in 31 others; the loss is log(31) = 3.43 at chance.
    for (const e of metadata.epochs) {
      expect(e.loss).toBeGreaterThan(1);
      expect(e.loss).toBeLessThan(4.5);
      expect(e.partnerAccuracy).toBeGreaterThanOrEqual(0);
    }
    expect(await readdir(join(t.dataDir, "backbones"))).toEqual([basename(dir)]);
    expect(await readdir(dir)).toEqual(["backbone.json", "network"]);

    // Both networks of the hierarchy start from the backbone, each under a classifier of its own.
    const still = { ...SMALL, epochs: 1, lr: 1e-9, weightDecay: 0 };
    const warm = await trainModel(t.db, t.dataDir, { ...still, initFrom: dir });
    const pretrained = await loadModelFromFiles(await readModelFiles(join(dir, "network")));
    const model = await loadModelDir(warm.dir);
    try {
      for (const level of ["level1", "level2"] as const) {
        const network = model.networks[level]!;
        // At a learning rate of 1e-9 the weights stay where they started.
        const start = pretrained.getLayer("stem_conv").getWeights()[0]!.dataSync();
        const kernel = network.getLayer("stem_conv").getWeights()[0]!.dataSync();
        expect(Math.max(...kernel.map((v, i) => Math.abs(v - start[i]!)))).toBeLessThan(1e-6);
        expect(network.getLayer("predictions").getWeights()[0]!.shape.at(-1)).toBe(level === "level1" ? 4 : 2);
      }
    } finally {
      model.dispose();
      pretrained.dispose();
    }
    await expect(trainModel(t.db, t.dataDir, { ...still, variant: "tiny", initFrom: dir })).rejects.toThrow(
      `cannot start from ${dir}: it is a nano backbone, this run trains tiny`,
    );
    await expect(pretrainBackbone(t.db, t.dataDir, { ...settings, batch: 100 })).rejects.toThrow(
      `${metadata.images} catalogue images outside the paper preset's test galaxies: pretraining needs at least a batch (100)`,
    );
    await expect(hiwl("pretrain", "--min-crop", "2", "--temperature", "0")).rejects.toThrow(/--temperature must be a positive number, got "0"/);
    await expect(hiwl("pretrain", "--min-crop", "2")).rejects.toThrow(/invalid pretraining options: the smallest crop must be in \(0, 1\], got 2/);
  });

  it("trains the coarse classes flat and never activates them", async () => {
    const coarse = await trainModel(t.db, t.dataDir, { ...SMALL, epochs: 1, classes: "coarse" });
    const { metrics } = await stored(coarse.version);
    expect(Object.keys(metrics.perClass)).toEqual(["smooth", "edge-on", "spiral"]);
    expect(metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(metrics.split.test);
    expect(metrics.sampling).toEqual({ flat: "class-balanced" });
    expect(await decideActivation(t.db, coarse, { dataDir: t.dataDir, pipeline })).toMatchObject({
      activate: false,
      reason: "coarse models cannot be the site's model: it shows the five HIWL classes",
    });
    expect(ModelMetadataSchema.parse(JSON.parse(await readFile(join(coarse.dir, METADATA_FILE), "utf8"))).hierarchy).toBe("flat");
    await expect(decideActivation(t.db, coarse, { force: true, dataDir: t.dataDir, pipeline })).rejects.toThrow(/five HIWL classes/);
    // Refused before a training run that could only end in that error.
    const before = await readdir(join(t.dataDir, "models"));
    await expect(hiwl("train", "--classes", "coarse", "--activate", "--variant", "nano", "--input-size", "32", "--backend", "wasm")).rejects.toThrow(
      /only models of the five HIWL classes can be active/,
    );
    expect(await readdir(join(t.dataDir, "models"))).toEqual(before);
  });

  it("tells how sure a model is of its test galaxies, right and wrong, and of galaxies volunteers could not place (bench gz1's second check)", async () => {
    const { metrics } = await stored(first.version);
    const galaxies = await t.db.galaxy.findMany({ orderBy: { id: "asc" }, take: 5, select: { id: true, externalId: true, imagePath: true } });
    const dir = await mkdtemp(join(tmpdir(), "hiwl-unplaced-"));
    try {
      const csv = join(dir, "labels.csv");
      await writeFile(csv, ["objid,label", ...galaxies.map((g, i) => `${g.externalId},${i < 2 ? "dont_know" : "merger"}`)].join("\n"));
      const unplaced = unplacedGalaxies(galaxies, csv, "objid", "label");
      expect(unplaced.map((g) => g.answer)).toEqual(["dont_know", "dont_know", "merger", "merger", "merger"]);
      const groups = await confidenceByGroup(t.db, t.dataDir, first.dir, pipeline, unplaced);
      expect(groups.map((g) => [g.name, g.galaxies])).toEqual([
        ["test galaxies", metrics.split.test],
        ["  classified right", Math.round(metrics.accuracy * metrics.split.test)],
        ["  classified wrong", metrics.split.test - Math.round(metrics.accuracy * metrics.split.test)],
        ['volunteers said "dont_know"', 2],
        ['volunteers said "merger"', 3],
      ]);
      for (const g of groups) {
        expect(g.meanConfidence).toBeGreaterThanOrEqual(1 / HIWL_CLASSES.length);
        expect(g.meanConfidence).toBeLessThanOrEqual(1);
      }
      expect(formatConfidenceGroups(groups)).toContain(`| test galaxies | ${metrics.split.test} | ${(100 * groups[0]!.meanConfidence).toFixed(1)}% |`);
      await writeFile(csv, "objid,class\n1,x");
      expect(() => unplacedGalaxies(galaxies, csv, "objid", "label")).toThrow(/expected the columns objid and label, found objid, class/);
      await writeFile(csv, "objid,label\nnobody,merger");
      expect(() => unplacedGalaxies(galaxies, csv, "objid", "label")).toThrow(new RegExp(`has no row for galaxy ${galaxies[0]!.externalId}`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("hiwl predict and evaluate", () => {
  it("writes one CSV row per image with probabilities that sum to 1", async () => {
    const images = join(t.dataDir, "predict-in");
    await mkdir(images);
    const sources = (await readdir(join(t.dataDir, "images", "synthetic"))).slice(0, 5);
    for (const f of sources) await copyFile(join(t.dataDir, "images", "synthetic", f), join(images, f));
    const out = join(t.dataDir, "predictions.csv");
    await hiwl("predict", "--images", images, "--out", out);
    const [header, ...rows] = (await readFile(out, "utf8")).trim().split("\n");
    expect(header).toBe("id,p_round,p_in_between,p_cigar,p_edge_on,p_spiral");
    expect(rows.map((r) => r.split(",")[0]).sort()).toEqual(sources.map((f) => basename(f, ".jpg")).sort());
    for (const row of rows) {
      const p = row.split(",").slice(1).map(Number);
      expect(p).toHaveLength(5);
      expect(p.every((x) => x >= 0 && x <= 1)).toBe(true);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }

    // A model directory classifies images where there is no database at all.
    const elsewhere = await mkdtemp(join(tmpdir(), "hiwl-no-db-"));
    const again = join(elsewhere, "predictions.csv");
    await hiwlIn(elsewhere, "predict", "--images", images, "--out", again, "--model", storedPath((await getActiveModelVersion(t.db))!.path, t.dataDir));
    expect(await readFile(again, "utf8")).toBe(await readFile(out, "utf8"));
    await rm(elsewhere, { recursive: true, force: true });
  });

  it("stores predictions for the galaxies the version has none for, keeps the ones it has, and evaluate reproduces the recorded test accuracy", async () => {
    const active = (await getActiveModelVersion(t.db))!;
    // The activation scored every galaxy; take 10 predictions away, as for galaxies imported since.
    const scored = await t.db.prediction.findMany({ where: { modelVersionId: active.id }, orderBy: { galaxyId: "asc" } });
    const missing = scored.slice(0, 10).map((p) => p.galaxyId);
    await t.db.prediction.deleteMany({ where: { modelVersionId: active.id, galaxyId: { in: missing } } });
    const { stdout } = await hiwl("predict", "--feature-map", "0");
    expect(stdout).toContain(`10 predictions stored for model version ${active.version} (50 galaxies kept the prediction it already had)`);
    const predictions = await t.db.prediction.findMany({ where: { modelVersionId: active.id }, orderBy: { galaxyId: "asc" } });
    expect(predictions).toHaveLength(60);
    for (const p of predictions) {
      expect(p.pRound + p.pInBetween + p.pCigar + p.pEdgeOn + p.pSpiral).toBeCloseTo(1, 5);
      expect(HIWL_CLASSES).toContain(p.predictedClass);
    }
    // The scoring run's rows, behind the queue's priorities, are untouched; the new ones carry no acquisition score.
    expect(predictions.filter((p) => !missing.includes(p.galaxyId))).toEqual(scored.slice(10));
    expect(predictions.filter((p) => missing.includes(p.galaxyId)).map((p) => p.acquisition)).toEqual(Array(10).fill(null));

    const metrics = runMetricsOf(active);
    const evaluated = await hiwl("evaluate");
    expect(evaluated.stdout).toContain(`overall accuracy ${(100 * metrics.accuracy).toFixed(2)}% on ${metrics.split.test} held-out galaxies`);
    // The coverage table's first row keeps every test galaxy: the same accuracy again.
    const everyGalaxy = evaluated.stdout.split("\n").find((line) => line.trimStart().startsWith("100.0%"))!;
    expect(everyGalaxy.trim().split(/\s+/)).toEqual(["100.0%", String(metrics.split.test), expect.any(String), `${(100 * metrics.accuracy).toFixed(1)}%`]);
    // With the version's own temperature, the same calibration error the run recorded.
    expect(evaluated.stdout).toContain(
      `expected calibration error ${(100 * metrics.calibration!.eceAfter).toFixed(2)}% (temperature ${metrics.calibration!.temperature}; a perfectly calibrated model would measure`,
    );

    // The same model from the central view alone instead of its 8 turned and mirrored views (classifyWithModelDir's
    // test in bench-ablation.test.ts shows the probabilities change; this network's are too flat to show it in print).
    const one = await hiwl("evaluate", "--views", "1");
    expect(one.stdout).toContain(`${active.version} on the test split, 1 view a galaxy (its own: 8)`);
    expect(one.stdout).toMatch(new RegExp(`overall accuracy [0-9.]+% on ${metrics.split.test} held-out galaxies`));
    await expect(hiwl("evaluate", "--views", "4")).rejects.toMatchObject({ stderr: expect.stringContaining('hiwl: --views must be 1 or 8, got "4"') });
  });
});
