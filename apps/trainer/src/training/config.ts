/**
 * A training run's settings. Everything that changes the result is here and is stored with the
 * run (run.json, ModelVersion.config), so a run can be resumed and compared with others. The
 * values not given come from a preset (presets.ts).
 */
import { VOTE_WEIGHTINGS, type VoteWeighting } from "@hiwl/db";
import type { BackendChoice } from "@hiwl/tfjs";
import { VIEW_COUNTS, type ViewCount } from "@hiwl/model/inference";
import { CROWD_LABEL_MODES, HIERARCHY_MODES, type CrowdLabelMode, type HierarchyMode, CLASS_SET_NAMES, CLASS_SETS, type ClassSetName } from "@hiwl/model";
import { EFFICIENTNET_VARIANT_NAMES, type EfficientNetVariantName } from "@hiwl/model/network";
import { OPTIMIZERS, type OptimizerName } from "@hiwl/model/training";
import { defaultWorkers } from "./parallel/replica-pool.ts";
import { DEFAULT_PRESET, presetNamed, type PresetName } from "./presets.ts";

export const BACKEND_CHOICES = ["auto", "tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"] as const satisfies readonly BackendChoice[];

export const BEST_BY = ["accuracy", "loss", "last"] as const;
export type BestBy = (typeof BEST_BY)[number];

export interface TrainConfig {
  /** The recipe (presets.ts) whose values the settings not given took. */
  preset: PresetName;
  variant: EfficientNetVariantName;
  inputSize: number;
  batch: number;
  epochs: number;
  optimizer: OptimizerName;
  lr: number;
  /** Epochs (fractions allowed) of linear learning-rate warm-up before the cosine. */
  warmupEpochs: number;
  weightDecay: number;
  /** Batch norm's moving-average momentum (see efficientnet.ts). */
  batchNormMomentum: number;
  /** The classifier's initial weights relative to Keras' (see efficientnet.ts). */
  classifierInitScale: number;
  targets: CrowdLabelMode;
  /** Whether each volunteer's answers weigh by their estimated reliability in the vote fractions (@hiwl/db skills.ts). */
  voteWeighting: VoteWeighting;
  hierarchy: HierarchyMode;
  /** Class-balanced sampling for level 2 (as in HIWL) or for the flat network; level 1 always shuffles. */
  weightedSampling: boolean;
  /** Training views rotate uniformly within +- this many degrees (HIWL: 25; 180: any angle). */
  rotationDegrees: number;
  /** Views averaged per prediction of the trained model (@hiwl/model views.ts): 1, or 8 rotations and flips. */
  testViews: ViewCount;
  /**
   * Weight averaging (@hiwl/model averaging.ts): after each epoch the kept weights move towards
   * the network's by 1 - emaDecay, and validation, the best epoch and the saved model use them.
   * 0: the network's own weights.
   */
  emaDecay: number;
  classes: ClassSetName;
  source: string | null;
  /** Train on a seeded random subset of this many labelled galaxies. */
  limit: number | null;
  /** Epochs without a better validation result before a network stops training. */
  patience: number;
  /**
   * Which epoch is kept, and what early stopping watches: the best validation accuracy (ties to
   * the lower loss), the lowest validation loss, or simply the last epoch, where the cosine
   * schedule has annealed to zero; a few dozen validation galaxies pick epochs almost at random.
   */
  bestBy: BestBy;
  /**
   * An epoch draws at least this many examples, passing over a small training set several
   * times, so that a few dozen galaxies still get as many optimiser steps as a few hundred.
   */
  minEpochExamples: number;
  /**
   * A trained model directory whose networks are the starting weights instead of a random
   * initialisation: retraining continues from the model it replaces, or a run fine-tunes one
   * pretrained elsewhere. It must be this run's variant; where its input size, classes or
   * hierarchy differ, each network starts from its first network's backbone (train.ts).
   */
  initFrom: string | null;
  /** Seeds initial weights, epoch orders, augmentation and dropout. */
  seed: number;
  /** Seeds the 80/10/10 split; HIWL uses 0. Separate from `seed` so that runs share a test set. */
  splitSeed: number;
  /** Stop after the epoch that would end past this many minutes of training. */
  maxMinutes: number | null;
  /**
   * Replicas training on worker threads, each on its share of every batch (parallel/); 1
   * trains on the main thread. A run repeats exactly for the same count: batch norm sees each
   * replica's share of the batch.
   */
  workers: number;
}

/** Settings not given take the preset's values (default: the worker's). */
export type TrainConfigInput = Partial<TrainConfig>;

/** An optimizer's rate when a run switches to it from its preset's optimizer: HIWL's 0.005 for SGD, Adam's customary 0.001. */
const OPTIMIZER_LR: Readonly<Record<OptimizerName, number>> = { sgd: 0.005, adam: 0.001 };

export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  const preset = input.preset ?? DEFAULT_PRESET;
  const recipe = presetNamed(preset).training;
  // Settings only: callers pass their run's other options (backend, resume, ...) in the same object.
  const given = Object.fromEntries(Object.entries(input).filter(([key, value]) => value !== undefined && key in recipe)) as TrainConfigInput;
  const c = { ...recipe, ...given };
  // The preset's rate belongs to its optimizer, and its hierarchy to its classes.
  const modes = CLASS_SETS[c.classes]?.hierarchyModes ?? [recipe.hierarchy];
  const config: TrainConfig = {
    ...c,
    preset,
    workers: c.workers ?? defaultWorkers(),
    lr: input.lr ?? (c.optimizer === recipe.optimizer ? recipe.lr : OPTIMIZER_LR[c.optimizer]),
    hierarchy: input.hierarchy ?? (modes.includes(recipe.hierarchy) ? recipe.hierarchy : modes[0]!),
  };
  const problems: string[] = [];
  const oneOf = (name: string, value: string, allowed: readonly string[]) => {
    if (!allowed.includes(value)) problems.push(`${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  };
  const integer = (name: string, value: number | null, min: number) => {
    if (value !== null && !(Number.isInteger(value) && value >= min)) problems.push(`${name} must be an integer >= ${min}, got ${value}`);
  };
  oneOf("variant", config.variant, EFFICIENTNET_VARIANT_NAMES);
  oneOf("optimizer", config.optimizer, OPTIMIZERS);
  oneOf("targets", config.targets, CROWD_LABEL_MODES);
  oneOf("vote weighting", config.voteWeighting, VOTE_WEIGHTINGS);
  oneOf("hierarchy", config.hierarchy, HIERARCHY_MODES);
  oneOf("classes", config.classes, CLASS_SET_NAMES);
  oneOf("best by", config.bestBy, BEST_BY);
  integer("input size", config.inputSize, 16);
  integer("batch", config.batch, 2);
  integer("epochs", config.epochs, 1);
  integer("patience", config.patience, 1);
  integer("minimum epoch examples", config.minEpochExamples, 0);
  integer("limit", config.limit, 1);
  integer("seed", config.seed, 0);
  integer("split seed", config.splitSeed, 0);
  integer("workers", config.workers, 1);
  if (!(config.lr > 0)) problems.push(`learning rate must be positive, got ${config.lr}`);
  if (!(config.weightDecay >= 0)) problems.push(`weight decay must be >= 0, got ${config.weightDecay}`);
  if (!(config.warmupEpochs >= 0)) problems.push(`warm-up epochs must be >= 0, got ${config.warmupEpochs}`);
  if (!(config.batchNormMomentum >= 0 && config.batchNormMomentum < 1)) {
    problems.push(`batch-norm momentum must be in [0, 1), got ${config.batchNormMomentum}`);
  }
  if (!(config.classifierInitScale > 0)) problems.push(`classifier init scale must be positive, got ${config.classifierInitScale}`);
  if (!(config.rotationDegrees >= 0 && config.rotationDegrees <= 180)) problems.push(`rotation must be in [0, 180] degrees, got ${config.rotationDegrees}`);
  if (!(config.emaDecay >= 0 && config.emaDecay < 1)) problems.push(`EMA decay must be in [0, 1), got ${config.emaDecay}`);
  if (!VIEW_COUNTS.includes(config.testViews)) problems.push(`test views must be one of ${VIEW_COUNTS.join(", ")}, got ${config.testViews}`);
  if (config.maxMinutes !== null && !(config.maxMinutes > 0)) problems.push(`max minutes must be positive, got ${config.maxMinutes}`);
  const set = CLASS_SETS[config.classes];
  if (set && !set.hierarchyModes.includes(config.hierarchy)) {
    problems.push(`the ${config.classes} classes are trained ${set.hierarchyModes.join(" or ")} only`);
  }
  if (problems.length) throw new Error(`invalid training options: ${problems.join("; ")}`);
  return config;
}
