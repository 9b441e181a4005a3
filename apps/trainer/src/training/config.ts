/**
 * A training run's settings. Everything that changes the result is here and is stored with the
 * run (run.json, ModelVersion.config), so a run can be resumed and compared with others.
 */
import type { BackendChoice } from "@hiwl/model/node";
import {
  CROWD_LABEL_MODES,
  DEFAULT_BATCH_NORM_MOMENTUM,
  DEFAULT_CLASSIFIER_INIT_SCALE,
  EFFICIENTNET_VARIANT_NAMES,
  HIERARCHY_MODES,
  type CrowdLabelMode,
  type EfficientNetVariantName,
  type HierarchyMode,
} from "@hiwl/model/network";
import { CLASS_SET_NAMES, CLASS_SETS, OPTIMIZERS, type ClassSetName, type OptimizerName } from "@hiwl/model/training";

export const BACKEND_CHOICES = ["auto", "tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"] as const satisfies readonly BackendChoice[];

export const BEST_BY = ["accuracy", "loss", "last"] as const;
export type BestBy = (typeof BEST_BY)[number];

export interface TrainConfig {
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
  hierarchy: HierarchyMode;
  /** Class-balanced sampling for level 2 (as in HIWL) or for the flat network; level 1 always shuffles. */
  weightedSampling: boolean;
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
   * initialisation: retraining continues from the model it replaces. It must have this run's
   * variant, input size, classes and hierarchy.
   */
  initFrom: string | null;
  /** Seeds initial weights, epoch orders, augmentation and dropout. */
  seed: number;
  /** Seeds the 80/10/10 split; HIWL uses 0. Separate from `seed` so that runs share a test set. */
  splitSeed: number;
  /** Stop after the epoch that would end past this many minutes of training. */
  maxMinutes: number | null;
}

export type TrainConfigInput = Partial<Omit<TrainConfig, "lr" | "hierarchy">> & {
  /** Default: HIWL's 0.005 for SGD, Adam's customary 0.001. */
  lr?: number;
  /** Default: hierarchical for the HIWL classes; the coarse classes are always flat. */
  hierarchy?: HierarchyMode;
};

/**
 * tiny by default: on the 2-core CPU machines it trains as fast as nano (about 100 images/s at
 * 64 px on wasm, `npm run bench:train`) with three times the weights, and 4-5 times faster than
 * b0. Optimisation follows HIWL (SGD momentum 0.9, wd 1e-4, lr 0.005, cosine, batch 16,
 * patience 25). The network starts with the small classifier init and PyTorch's batch-norm
 * momentum; `--classifier-init-scale 1 --bn-momentum 0.99` builds Keras' EfficientNet instead.
 */
export const TRAIN_DEFAULTS: Readonly<Omit<TrainConfig, "lr" | "hierarchy">> = {
  variant: "tiny",
  inputSize: 64,
  batch: 16,
  epochs: 30,
  optimizer: "sgd",
  warmupEpochs: 0,
  weightDecay: 1e-4,
  batchNormMomentum: DEFAULT_BATCH_NORM_MOMENTUM,
  classifierInitScale: DEFAULT_CLASSIFIER_INIT_SCALE,
  targets: "smooth",
  weightedSampling: true,
  classes: "hiwl",
  source: null,
  limit: null,
  patience: 25,
  bestBy: "accuracy",
  minEpochExamples: 0,
  initFrom: null,
  seed: 0,
  splitSeed: 0,
  maxMinutes: null,
};

export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  const c = { ...TRAIN_DEFAULTS, ...stripUndefined(input) };
  const config: TrainConfig = {
    ...c,
    lr: input.lr ?? (c.optimizer === "sgd" ? 0.005 : 0.001),
    hierarchy: input.hierarchy ?? CLASS_SETS[c.classes].hierarchyModes[0]!,
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
  if (!(config.lr > 0)) problems.push(`learning rate must be positive, got ${config.lr}`);
  if (!(config.weightDecay >= 0)) problems.push(`weight decay must be >= 0, got ${config.weightDecay}`);
  if (!(config.warmupEpochs >= 0)) problems.push(`warm-up epochs must be >= 0, got ${config.warmupEpochs}`);
  if (!(config.batchNormMomentum >= 0 && config.batchNormMomentum < 1)) {
    problems.push(`batch-norm momentum must be in [0, 1), got ${config.batchNormMomentum}`);
  }
  if (!(config.classifierInitScale > 0)) problems.push(`classifier init scale must be positive, got ${config.classifierInitScale}`);
  if (config.maxMinutes !== null && !(config.maxMinutes > 0)) problems.push(`max minutes must be positive, got ${config.maxMinutes}`);
  const set = CLASS_SETS[config.classes];
  if (set && !set.hierarchyModes.includes(config.hierarchy)) {
    problems.push(`the ${config.classes} classes are trained ${set.hierarchyModes.join(" or ")} only`);
  }
  if (problems.length) throw new Error(`invalid training options: ${problems.join("; ")}`);
  return config;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
