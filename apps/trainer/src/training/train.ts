/**
 * `hiwl train` as a function: loads the labelled galaxies, splits them, trains each network of
 * the model (loop.ts), scores the result on the held-out test split, writes the model version
 * directory and records it as an inactive ModelVersion. Whether it becomes the active one is
 * activation.ts's decision, made by the callers (`hiwl train`, the worker).
 *
 * A run lives in $HIWL_DATA_DIR/models/<version>/ once its data is loaded: run.json (settings
 * and a fingerprint of the data) is written first, checkpoints follow each epoch, and the
 * finished model replaces the checkpoints. A directory with run.json and no metadata.json is an
 * interrupted run that `resume` continues.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createModelVersion, pathToStore, type CalibrationRecord, type Db, type ModelVersion, type RunMetrics } from "@hiwl/db";
import { accuracyByCoverage, classificationMetrics, type ClassificationMetrics, type Level, CLASS_SETS } from "@hiwl/model";
import { loadModelFromFiles, METADATA_FILE, networkModelPath, PREPROCESSING, type ModelFiles, type ModelMetadata, type Networks } from "@hiwl/model/network";
import type { BackendChoice } from "@hiwl/tfjs";
import { startBackend } from "./backend.ts";
import { calibrate, calibrationError, fitTemperature, formatCalibration } from "@hiwl/model";
import { createModel, decide } from "@hiwl/model/inference";
import {
  loadCheckpoint,
  removeCheckpoints,
  saveCheckpoint,
  type TrainingState,
} from "./checkpoint.ts";
import { resolveTrainConfig, type TrainConfig, type TrainConfigInput } from "./config.ts";
import { galaxySetHash, loadDataset, loadExampleCutouts, type Dataset } from "./dataset.ts";
import { classifyCutouts, withClassifier } from "./evaluate.ts";
import { ImagePipeline } from "./image-pipeline.ts";
import type { TestGalaxy } from "./activation.ts";
import { TrainingInterrupted, trainNetwork, type InitialWeights, type NetworkData, type TrainHooks } from "./loop.ts";
import {
  createVersionDir,
  modelsDir,
  readBackbone,
  readJson,
  readModelMetadata,
  readNetworkFiles,
  writeJsonAtomic,
  writeModelFiles,
} from "./model-dir.ts";

export interface TrainOptions extends TrainConfigInput {
  backend?: BackendChoice;
  /** Continue an interrupted run: its version, or true for the latest. Its stored settings apply. */
  resume?: string | true;
  trainingJobId?: number | null;
}

export interface TrainResult {
  version: string;
  dir: string;
  modelVersion: ModelVersion;
  config: TrainConfig;
  metrics: ClassificationMetrics;
  /** The held-out test galaxies `metrics` are from, in split order: what activation compares models on. */
  test: TestGalaxy[];
}

/** The contents of run.json. */
export interface RunFile {
  version: string;
  createdAt: string;
  config: TrainConfig;
  /** Dataset.fingerprint when the run started. */
  dataset: string;
}

export const RUN_FILE = "run.json";

/** What ModelVersion.metrics holds: the test scores, the split and the learning curves (the stored contract). */
export type { RunMetrics };

export async function trainModel(db: Db, dataDir: string, options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? (() => {});
  const interrupted = options.resume ? await openRun(dataDir, options.resume) : null;
  const config = interrupted?.config ?? resolveTrainConfig(options);
  const { backend } = await startBackend(options.backend ?? "auto", log);
  const init = config.initFrom === null ? {} : await initialNetworks(config.initFrom, config);

  const dataset = await loadDataset(db, config);
  const { set, examples, split } = dataset;
  if (interrupted && interrupted.dataset !== dataset.fingerprint) {
    throw new Error(`the labelled galaxies changed since ${interrupted.version} started: its split cannot be rebuilt, start a new run`);
  }
  if (split.test.length === 0) throw new Error("no galaxies for the test split: the catalogue has too few labelled galaxies");
  const { version, dir } = interrupted ?? (await newRun(dataDir, config, dataset));
  log(`${interrupted ? "resuming" : "training"} ${version} in ${dir}`);
  log(
    `${examples.length} galaxies (${set.classes.map((c, k) => `${c} ${examples.filter((e) => e.cls === k).length}`).join(", ")}); ` +
      `split ${split.train.length}/${split.val.length}/${split.test.length}`,
  );

  const cutouts = await loadExampleCutouts(examples, config.inputSize, dataDir, (done, total) =>
    hooks.onPhase?.("cutouts", done, total),
  );
  const levels = set.networks(config.hierarchy);
  const checkpoint = await loadCheckpoint(dir);
  const state: TrainingState = checkpoint?.state ?? {
    networks: levels.map((level) => ({ level, epochsDone: 0, history: [], best: null, stopped: null })),
    timing: [],
  };
  const best: Partial<Record<Level, ModelFiles>> = { ...checkpoint?.best };
  const pipeline = await ImagePipeline.start();
  try {
    for (const progress of state.networks) {
      if (progress.stopped !== null) continue;
      const data = networkData(dataset, config, progress.level);
      log(
        `${progress.level}: ${data.classes.join(" / ")}, ${data.train.indices.length} training and ${data.val.indices.length} validation galaxies` +
          `${data.weighted ? ", class-balanced sampling" : ""}${progress.epochsDone > 0 ? `, from epoch ${progress.epochsDone + 1}` : ""}`,
      );
      best[progress.level] = await trainNetwork({
        config,
        data,
        progress,
        cutouts,
        pipeline,
        hooks,
        secondsBefore: state.timing.reduce((sum, t) => sum + t.seconds, 0),
        resume: progress.epochsDone > 0 ? checkpoint?.current ?? null : null,
        init: init[progress.level] ?? null,
        best: best[progress.level] ?? null,
        checkpoint: async (epoch, bestFiles, current) => {
          state.timing.push({ level: progress.level, epoch: epoch.epoch, seconds: epoch.seconds, imagesPerSec: epoch.imagesPerSec });
          if (bestFiles) best[progress.level] = bestFiles;
          await saveCheckpoint(dir, { state, best, current });
        },
      });
    }

    const networks: Networks = {};
    for (const level of levels) networks[level] = await loadModelFromFiles(best[level]!);
    const test = split.test;
    const model = createModel(
      { classes: set.classes as ModelMetadata["classes"], hierarchy: config.hierarchy, inputSize: config.inputSize, views: config.testViews },
      networks,
    );
    const [validated, classified] = await withClassifier(model, split.val.length + test.length, async (classifier) => {
      const phase = (name: string) => ({ onProgress: (done: number, total: number) => hooks.onPhase?.(name, done, total) });
      const val = await classifyCutouts(classifier, pipeline, cutouts, split.val, phase("calibration"));
      return [val, await classifyCutouts(classifier, pipeline, cutouts, test, phase("test"))] as const;
    }).finally(() => model.dispose());
    const truthOf = (indices: readonly number[]) => indices.map((i) => examples[i]!.cls!);
    const calibration = calibrationOf(validated.probabilities, truthOf(split.val), classified.probabilities, truthOf(test));
    const scores = classificationMetrics(set.classes, truthOf(test), classified.predicted);
    const metrics = { ...runMetrics(scores, dataset, config, state), calibration };
    log(formatCalibration(calibration));

    for (const level of levels) await writeModelFiles(join(dir, dirname(networkModelPath(level))), best[level]!);
    await writeJsonAtomic(join(dir, METADATA_FILE), { ...modelMetadata(version, config, dataset, scores), temperature: calibration.temperature });
    await removeCheckpoints(dir);

    const modelVersion = await createModelVersion(db, {
      version,
      path: pathToStore(dir, dataDir),
      config: { ...config, backend },
      metrics,
      trainingJobId: options.trainingJobId ?? null,
    });
    const testGalaxies = test.map((i) => {
      const { galaxyId, imagePath, cls } = examples[i]!;
      return { galaxyId, imagePath, cls: cls! };
    });
    return { version, dir, modelVersion, config, metrics: scores, test: testGalaxies };
  } catch (error) {
    if (error instanceof TrainingInterrupted) {
      error.version = version;
      error.message = `${version} ${error.message}; continue it with --resume ${version}`;
    }
    throw error;
  } finally {
    await pipeline.close();
  }
}

/**
 * The networks a run starts from with `initFrom`. A model of this run's variant, input size,
 * hierarchy and classes starts each network whole; one of the same variant but other classes
 * (or input size) gives every network its first network's backbone, each keeping a classifier
 * of its own: a model pretrained on the synthetic sky's five classes starts a catalogue's
 * coarse three. A pretrained backbone (`hiwl pretrain`) starts every network's backbone the
 * same way. Another variant is refused.
 */
async function initialNetworks(dir: string, config: TrainConfig): Promise<Partial<Record<Level, InitialWeights>>> {
  const set = CLASS_SETS[config.classes];
  const backboneOf = (files: ModelFiles) => Object.fromEntries(set.networks(config.hierarchy).map((level) => [level, { files, backboneOnly: true }]));
  const pretrained = await readBackbone(dir);
  if (pretrained) {
    const { variant } = pretrained.metadata;
    if (variant !== config.variant) throw new Error(`cannot start from ${dir}: it is a ${variant} backbone, this run trains ${config.variant}`);
    return backboneOf(pretrained.files);
  }
  const metadata = await readModelMetadata(dir);
  const { classes } = set;
  const theirs = `${metadata.variant} ${metadata.inputSize} px, ${metadata.hierarchy}, ${metadata.classes.join("/")}`;
  const ours = `${config.variant} ${config.inputSize} px, ${config.hierarchy}, ${classes.join("/")}`;
  if (metadata.variant !== config.variant) throw new Error(`cannot start from ${dir}: it is ${theirs}, this run trains ${ours}`);
  const files = await readNetworkFiles(dir, metadata);
  if (theirs === ours) return Object.fromEntries(Object.entries(files).map(([level, f]) => [level, { files: f, backboneOnly: false }]));
  return backboneOf(Object.values(files)[0]!);
}

interface OpenRun {
  version: string;
  dir: string;
  config: TrainConfig;
  /** Dataset.fingerprint when the run started. */
  dataset: string;
}

async function newRun(dataDir: string, config: TrainConfig, dataset: Dataset): Promise<OpenRun> {
  const { version, dir } = await createVersionDir(modelsDir(dataDir), `${config.variant}${config.inputSize}-${config.classes}`);
  const run: RunFile = { version, createdAt: new Date().toISOString(), config, dataset: dataset.fingerprint };
  await writeJsonAtomic(join(dir, RUN_FILE), run);
  return { version, dir, config, dataset: dataset.fingerprint };
}

/** An interrupted run: by version, or the newest one. */
async function openRun(dataDir: string, resume: string | true): Promise<OpenRun> {
  const root = modelsDir(dataDir);
  const interrupted = (version: string) =>
    existsSync(join(root, version, RUN_FILE)) && !existsSync(join(root, version, METADATA_FILE));
  let version: string;
  if (resume === true) {
    const candidates = existsSync(root) ? (await readdir(root)).filter(interrupted).sort() : [];
    if (candidates.length === 0) throw new Error(`no interrupted training run in ${root}`);
    version = candidates.at(-1)!;
  } else {
    if (!existsSync(join(root, resume, RUN_FILE))) throw new Error(`no training run ${resume} in ${root}`);
    if (!interrupted(resume)) throw new Error(`${resume} has already finished`);
    version = resume;
  }
  const dir = join(root, version);
  const run = await readJson<RunFile>(join(dir, RUN_FILE));
  // Through resolveTrainConfig: settings added since the run started take its preset's values.
  // Runs from before presets name none; the defaults then were the paper preset's.
  return { version, dir, config: resolveTrainConfig({ preset: "paper", ...(run.config as TrainConfigInput) }), dataset: run.dataset };
}

/** Which galaxies a network trains and validates on, with their targets, and whether it samples class-balanced. */
export function networkData(dataset: Dataset, config: TrainConfig, level: Level): NetworkData {
  const { set, examples, split } = dataset;
  const targetOf = (i: number) => set.target(examples[i]!, examples[i]!.cls, config.targets, level);
  const train: NetworkData["train"] = { indices: [], targets: [] };
  for (const i of split.train) {
    const target = targetOf(i);
    if (target) {
      train.indices.push(i);
      train.targets.push(target);
    }
  }
  const val: NetworkData["val"] = { indices: [], targets: [], truth: [] };
  for (const i of split.val) {
    const target = targetOf(i);
    const truth = set.levelIndex(level, examples[i]!.cls!);
    if (target && truth !== null) {
      val.indices.push(i);
      val.targets.push(target);
      val.truth.push(truth);
    }
  }
  return { level, classes: set.outputs(level), train, val, weighted: samplesBalanced(config, level) };
}

/** HIWL balances level 2 only; level 1's four classes keep their natural shares. */
function samplesBalanced(config: TrainConfig, level: Level): boolean {
  return config.weightedSampling && level !== "level1";
}

/** The dashboard's accuracy-by-coverage curve: every tenth of the test galaxies, and 95%. */
const COVERAGE_CURVE = [1, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];

/**
 * Temperature scaling fitted on the validation galaxies' probabilities (the test galaxies stay
 * unseen), and the test galaxies' calibration error before and after. Empty validation: T = 1.
 */
function calibrationOf(
  validation: readonly number[][],
  validationTruth: readonly number[],
  test: readonly number[][],
  testTruth: readonly number[],
): CalibrationRecord {
  const temperature = fitTemperature(validation, validationTruth);
  const calibrated = test.map((p) => calibrate(p, temperature));
  const after = calibrationError(calibrated, testTruth);
  return {
    temperature,
    eceBefore: calibrationError(test, testTruth).ece,
    eceAfter: after.ece,
    bins: after.bins,
    coverage: testTruth.length === 0 ? [] : accuracyByCoverage(calibrated, calibrated.map(decide), testTruth, COVERAGE_CURVE),
  };
}

function runMetrics(scores: ClassificationMetrics, dataset: Dataset, config: TrainConfig, state: TrainingState): Omit<RunMetrics, "calibration"> {
  const f1 = Object.values(scores.perClass).map((c) => c.f1);
  const byLevel = <T>(pick: (n: TrainingState["networks"][number]) => T) =>
    Object.fromEntries(state.networks.map((n) => [n.level, pick(n)])) as Partial<Record<Level, T>>;
  return {
    ...scores,
    macroF1: f1.reduce((a, b) => a + b, 0) / f1.length,
    testGalaxies: scores.count,
    split: {
      seed: config.splitSeed,
      train: dataset.split.train.length,
      val: dataset.split.val.length,
      test: dataset.split.test.length,
      testSetHash: galaxySetHash(dataset.split.test.map((i) => dataset.examples[i]!)),
    },
    curves: byLevel((n) => n.history),
    best: byLevel((n) => n.best),
    stopped: byLevel((n) => n.stopped),
    sampling: byLevel((n) => (samplesBalanced(config, n.level) ? "class-balanced" : "shuffled")),
    timing: { trainSeconds: state.timing.reduce((sum, t) => sum + t.seconds, 0), epochs: state.timing },
  };
}

function modelMetadata(version: string, config: TrainConfig, dataset: Dataset, scores: ClassificationMetrics): ModelMetadata {
  const { set, examples, split } = dataset;
  const perClassMetric = Object.entries(scores.perClass).flatMap(([cls, m]): [string, number][] => [
    [`precision.${cls}`, m.precision],
    [`recall.${cls}`, m.recall],
    [`f1.${cls}`, m.f1],
  ]);
  const trainExamples = split.train.map((i) => examples[i]!);
  return {
    formatVersion: 1,
    version,
    createdAt: new Date().toISOString(),
    classes: set.classes as ModelMetadata["classes"],
    hierarchy: config.hierarchy,
    variant: config.variant,
    inputSize: config.inputSize,
    preprocessing: { ...PREPROCESSING, rotationDegrees: config.rotationDegrees },
    views: config.testViews,
    metrics: { accuracy: scores.accuracy, ...Object.fromEntries(perClassMetric) },
    trainingData: {
      galaxies: trainExamples.length,
      perClass: Object.fromEntries(set.classes.map((c, k) => [c, trainExamples.filter((e) => e.cls === k).length])),
      labelMode: config.targets,
      weightedSampling: config.weightedSampling,
      sources: [...new Set(examples.map((e) => e.source))].sort(),
    },
  };
}
