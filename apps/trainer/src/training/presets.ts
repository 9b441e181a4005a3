/**
 * Every training recipe of the trainer, in one place: `hiwl train --preset NAME` and
 * `hiwl watch --preset NAME` pick one (options given beside it override its settings one by
 * one), the benchmarks take theirs from here, and a run records which one it started from
 * (TrainConfig.preset). Each setting says why it has its value and which measurement chose it;
 * the figures are in docs/benchmarks.md.
 */
import type { AcquisitionFunction } from "@hiwl/model";
import { DEFAULT_BATCH_NORM_MOMENTUM, DEFAULT_CLASSIFIER_INIT_SCALE, PREPROCESSING } from "@hiwl/model/network";
import type { TrainConfig } from "./config.ts";

export const PRESET_NAMES = ["worker", "paper", "al-bench", "gz1", "ablation"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** `hiwl watch`, the dashboard's "Retrain now" and `hiwl train` train with it unless told otherwise. */
export const DEFAULT_PRESET: PresetName = "worker";

/** A complete set of training settings: nothing is left to another default. */
/** A recipe: every setting but the preset's own name; `workers` null means the machine's default (defaultWorkers). */
export type PresetTraining = Omit<TrainConfig, "preset" | "workers"> & { workers: number | null };

/** How a model's scores set the active-learning queue. */
export interface PresetScoring {
  acquisition: AcquisitionFunction;
  /** Forward passes per galaxy; more than 1 turns MC dropout on. */
  passes: number;
  /** The queue orders by acquisition score per expected vote to retirement (ScoringSettings.perVote). */
  perVote: boolean;
}

export interface Preset {
  /** One line for `--help`: what the recipe is for. */
  purpose: string;
  training: PresetTraining;
  /** Absent: the queue is scored as the worker scores it (presetScoring). */
  scoring?: PresetScoring;
}

/** HIWL as the paper trains it (Ma et al. 2023, docs/science.md), on a network the 2-core machines can train. */
const PAPER: PresetTraining = {
  variant: "tiny", // bench:train: 113-122 img/s on 2 cores, about 4 times b0's, with three times nano's weights
  inputSize: 64, // bench:train's and bench:browser's size: tiny predicts in 37 ms in the browser (wasm)
  batch: 16, // HIWL's
  epochs: 30, // a first model in minutes on 2 cores (HIWL's cosine spans 150 epochs of 240 px on a GPU)
  optimizer: "sgd", // HIWL's, momentum 0.9
  lr: 0.005, // HIWL's
  warmupEpochs: 0, // HIWL's cosine starts at the full rate
  weightDecay: 1e-4, // HIWL's; every benchmark kept it
  batchNormMomentum: DEFAULT_BATCH_NORM_MOMENTUM, // PyTorch's 0.9, as HIWL trained: with the small classifier init, bench:gz1's spiral recall rose from 1% to 55%
  classifierInitScale: DEFAULT_CLASSIFIER_INIT_SCALE, // 0.05 × Keras': from scratch, Keras' scale saturates the softmax (the same bench:gz1 measurement)
  targets: "smooth", // HIWL's label smoothing, ε = 0.05
  voteWeighting: "none", // HIWL counts every vote alike
  hierarchy: "hierarchical", // HIWL's (bench:ablation, 5 seeds: the flat network -1.4 points, interval -9.7 to +7.0)
  weightedSampling: true, // HIWL's class balancing at level 2 (bench:ablation, 5 seeds: switching it off +0.6, -0.7 to +1.8)
  rotationDegrees: PREPROCESSING.rotationDegrees, // HIWL's 25
  testViews: 1, // HIWL predicts from the central view
  emaDecay: 0, // HIWL keeps the network's own weights
  classes: "hiwl", // the five classes the site shows
  source: null, // every catalogue
  limit: null, // every labelled galaxy
  patience: 25, // HIWL's early stopping
  bestBy: "accuracy", // HIWL keeps the validation-best epoch
  minEpochExamples: 0, // an epoch is one pass over the training galaxies, as in HIWL
  initFrom: null, // HIWL starts from ImageNet weights, which nothing here can download: a random initialisation
  seed: 0, // runs repeat exactly
  splitSeed: 0, // HIWL's 80/10/10 split seed
  maxMinutes: null, // no time limit
  workers: null, // every core but the image pipeline's: bit-identical replicas, so only batch norm's per-shard statistics differ
};

/**
 * From scratch on the CPU: bench:al, bench:gz1 and bench:ablation all trained with this, after
 * SGD at HIWL's 0.005 learned too slowly in runs of a few epochs.
 */
const ADAM_WITH_WARMUP = {
  batch: 32, // the batch Adam 0.003 was measured at in all three benchmarks
  optimizer: "adam", // bench:gz1, bench:al: SGD at HIWL's rate learns too slowly from scratch
  lr: 0.003, // the rate of every measured Adam run
  warmupEpochs: 1, // Adam's first steps, with its variance estimates near zero, are the ones that overshoot (bench:gz1)
} as const satisfies Partial<PresetTraining>;

/** The worker's recipe: what bench:al needed to make retraining on the crowd's votes dependable. */
const WORKER: PresetTraining = {
  ...PAPER,
  ...ADAM_WITH_WARMUP,
  targets: "votes", // the platform's promise, the crowd's vote fractions as smoothed labels (bench:ablation, 5 seeds: -0.6 points against smooth, -7.8 to +6.7)
  voteWeighting: "reliability", // bench:reliability: weighted fractions are closer to the truth in every row (2-23% lower error)
  bestBy: "last", // bench:al: epochs picked by a few dozen validation galaxies swung held-out accuracy by 10-20 points, the last by a few
  minEpochExamples: 512, // bench:al: a few dozen labelled galaxies still get as many optimiser steps as a few hundred
  emaDecay: 0.7, // bench:gz1: 87.08% against 86.46% without (seed 1; the whole gz1 recipe +1.1 points on each of 2 seeds), at no cost in prediction
  // rotationDegrees, testViews and initFrom stay HIWL's: on the synthetic sky the worker learns (bench:ablation --preset worker,
  // 5 seeds), any angle lost 1.2 points from one view and 8 views gained 1.3 (interval -0.8 to 3.4: not resolved); only a
  // self-supervised backbone with 8 views came out ahead (+2.1, +0.2 to +4.0), but 8 views cost 3 times one view in the browser
  // (bench:browser, tiny on wasm: 44 ms against 15) and 8 times in scoring, and a backbone would be needed per catalogue
};

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  // hiwl watch (npm start), the dashboard's "Retrain now", hiwl train.
  worker: {
    purpose: "retrain on the crowd's votes with the benchmarks' recipe",
    training: WORKER,
    scoring: {
      // bench:al, tiny 64 px, 5 seeds: margin per expected vote ended at 81.7% held-out accuracy on
      // average (79.6-85.8%), ahead of margin alone in every seed (76.6% on average) and of random
      // order under the same rules in 4 of 5 (78.8%), and labelled 932-974 galaxies with the 6,000
      // classifications (margin 645-673, BALD 764-823), with one pass a galaxy; BALD (8 passes),
      // ahead of it over the whole curve in 4 of 5 seeds (31.6% fewer classifications than
      // count-only random order against 8.6%), ended below it in every seed (78.9%).
      acquisition: "margin",
      passes: 1, // margin needs one prediction: bench:al scored it with one pass (MC-dropout passes are for BALD)
      perVote: true,
    },
  },
  // hiwl train --preset paper; the training step bench:train times.
  paper: {
    purpose: "HIWL's own recipe (SGD, smoothed one-hot targets, the validation-best epoch)",
    training: PAPER,
  },
  // hiwl bench al (npm run bench:al).
  "al-bench": {
    purpose: "the worker's recipe (tiny at 64 px) at the same training every round, one core a seed",
    training: {
      ...WORKER,
      epochs: 16, // the same training every round whatever its data, so the rounds differ only in what volunteers classified
      workers: 1, // one replica: seeds run side by side, one a core, and a seed's result does not depend on the machine's cores
    },
  },
  // hiwl bench gz1 (npm run bench:gz1).
  gz1: {
    purpose: "smooth / edge-on / spiral on the real Galaxy Zoo 1 sample",
    training: {
      ...PAPER,
      ...ADAM_WITH_WARMUP,
      inputSize: 80, // at 64 px a spiral's arms span a few pixels: 80.0% validation accuracy at 96 px against 75.4% at 64 after one epoch; 80 px costs 1.6 times 64; 128 px gained 0.3 points on each of 2 seeds for twice the minutes, B0 at 128 px 86.46%
      epochs: 22, // 12-16 minutes of training at 80 px on 2 cores; a cosine over 50 epochs gave 86.15% (its best epoch the 28th) against 86.46%
      weightedSampling: false, // plain shuffling: class balancing trades overall accuracy for the minority classes' recall
      rotationDegrees: 180, // a galaxy has no up: with 8 test views, spiral F1 66.7% against 61.2% at HIWL's 25 (bench:gz1's ablation)
      testViews: 8, // the rotations and flips averaged: 86.46% against 85.69% from one view of the same model
      emaDecay: 0.7, // the average of the last few epochs' weights: 87.08% against 86.46%
      maxMinutes: 28, // about twice a run's time: one slowed by other work stops a few epochs early, where the cosine is near zero anyway
      classes: "coarse", // Galaxy Zoo 1's labels
      hierarchy: "flat", // the coarse classes have no hierarchy
      source: "gz1", // the sample as bench:gz1 imports it
    },
  },
  // hiwl bench ablation (npm run bench:ablation).
  ablation: {
    purpose: "HIWL in full, against which each technique is switched off",
    training: {
      ...PAPER,
      ...ADAM_WITH_WARMUP,
      variant: "nano", // with 32 px and 12 epochs, a run trains in about half a minute: 5 variants x 5 seeds in about 15 minutes
      inputSize: 32, // see variant
      epochs: 12, // see variant
      patience: 12, // no early stopping: every variant trains as long
      source: "synthetic", // the synthetic catalogue, whose truth is known
    },
  },
};

/** The preset by name; an unknown name is refused with the names there are. */
export function presetNamed(name: string): Preset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`invalid training options: preset must be one of ${PRESET_NAMES.join(", ")}, got "${name}"`);
  }
  return PRESETS[name as PresetName];
}

/** A recipe without scoring settings of its own scores as the worker does: the queue is the same whichever recipe trained the model. */
export function presetScoring(name: PresetName): PresetScoring {
  return PRESETS[name].scoring ?? PRESETS.worker.scoring!;
}
