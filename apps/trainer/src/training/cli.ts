/**
 * What the train, evaluate, predict and bench commands share: option parsing, progress
 * display and finding a model by version, directory or the active one.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { getActiveModelVersion, listModelVersions, type Db, type ModelVersion } from "@hiwl/db";
import { EFFICIENTNET_VARIANT_NAMES } from "@hiwl/model/network";
import { OPTIMIZERS } from "@hiwl/model/training";
import { phasedProgress, progressBar, type Progress } from "../progress.ts";
import { BEST_BY, TRAIN_DEFAULTS, type BACKEND_CHOICES, type TrainConfigInput } from "./config.ts";
import { backendOption, finiteNumber, integer, positiveNumber } from "./option-parsers.ts";
import type { TrainHooks } from "./loop.ts";

/** The options of `hiwl train` that shape the model, shared with `hiwl bench gz1`. */
export function addModelOptions(command: Command, defaults: Partial<TrainConfigInput> = {}): Command {
  const d = { ...TRAIN_DEFAULTS, ...defaults };
  return command
    .addOption(new Option("--variant <name>", "EfficientNet variant").choices(EFFICIENTNET_VARIANT_NAMES).default(d.variant))
    .option("--input-size <px>", "network input side", integer("--input-size", 16), d.inputSize)
    .option("--batch <n>", "batch size", integer("--batch", 2), d.batch)
    .option("--epochs <n>", "epochs per network (the cosine schedule spans them)", integer("--epochs", 1), d.epochs)
    .addOption(new Option("--optimizer <name>", "sgd: momentum 0.9 as in HIWL").choices(OPTIMIZERS).default(d.optimizer))
    .option(
      "--lr <x>",
      `initial learning rate${d.lr === undefined ? " (default 0.005 for sgd, 0.001 for adam)" : ""}`,
      positiveNumber("--lr"),
      d.lr,
    )
    .option("--warmup-epochs <x>", "linear learning-rate warm-up before the cosine, in epochs", finiteNumber("--warmup-epochs", 0), d.warmupEpochs)
    .option("--weight-decay <x>", "decoupled weight decay of the kernels", finiteNumber("--weight-decay", 0), d.weightDecay)
    .option("--bn-momentum <x>", "batch norm's moving-average momentum (Keras: 0.99)", finiteNumber("--bn-momentum", 0), d.batchNormMomentum)
    .option("--classifier-init-scale <x>", "classifier's initial weights relative to Keras' (Keras: 1)", finiteNumber("--classifier-init-scale", 0), d.classifierInitScale)
    .option("--patience <n>", "early stopping: epochs without a better validation result", integer("--patience", 1), d.patience)
    .addOption(
      new Option("--best-by <figure>", "the epoch kept: best validation accuracy or loss (also drives early stopping), or the last")
        .choices(BEST_BY)
        .default(d.bestBy),
    )
    .option(
      "--min-epoch-examples <n>",
      "an epoch passes over a small training set until it has drawn this many examples",
      integer("--min-epoch-examples"),
      d.minEpochExamples,
    )
    .option("--seed <n>", "seeds weights, sampling, augmentation and dropout: the same seed gives the same model", integer("--seed"), d.seed)
    .option("--split-seed <n>", "seeds the per-class 80/10/10 split", integer("--split-seed"), d.splitSeed)
    .option("--limit <n>", "train on a seeded random subset of this many labelled galaxies", integer("--limit", 1))
    .option(
      "--max-minutes <m>",
      "stop a network after the epoch that would end past this training time",
      positiveNumber("--max-minutes"),
      d.maxMinutes ?? undefined,
    )
    .addOption(backendOption());
}

export interface ModelCliOptions {
  variant: TrainConfigInput["variant"];
  inputSize: number;
  batch: number;
  epochs: number;
  optimizer: TrainConfigInput["optimizer"];
  lr?: number;
  warmupEpochs: number;
  weightDecay: number;
  bnMomentum: number;
  classifierInitScale: number;
  patience: number;
  bestBy: TrainConfigInput["bestBy"];
  minEpochExamples: number;
  seed: number;
  splitSeed: number;
  limit?: number;
  maxMinutes?: number;
  backend: (typeof BACKEND_CHOICES)[number];
}

export function modelConfig(opts: ModelCliOptions): TrainConfigInput {
  const { backend: _backend, limit, maxMinutes, bnMomentum, ...rest } = opts;
  return { ...rest, batchNormMomentum: bnMomentum, limit: limit ?? null, maxMinutes: maxMinutes ?? null };
}

/**
 * Progress bars per epoch (loss, accuracy, images/s, ETA) and one summary line per epoch.
 * The bars draw only on a terminal; the lines are always printed.
 */
export function cliHooks(log: (line: string) => void = console.log): TrainHooks & { stop(): void } {
  let bar: Progress | undefined;
  let barKey = "";
  const phases = phasedProgress();
  const pct = (x: number | null) => (x === null ? "  -   " : `${(100 * x).toFixed(1)}%`);
  const num = (x: number | null) => (x === null ? "-" : x.toFixed(4));
  return {
    log: (line) => {
      phases.stop();
      log(line);
    },
    onPhase: phases.onProgress,
    onStep: (p) => {
      const key = `${p.level} ${p.epoch}`;
      if (key !== barKey) {
        phases.stop();
        bar?.stop();
        bar = progressBar(`${p.level} ${p.epoch}/${p.epochs}`, " | loss {loss} acc {accuracy} | {speed} img/s");
        barKey = key;
      }
      bar!.update(p.step, p.steps, { loss: p.loss.toFixed(4), accuracy: pct(p.accuracy), speed: p.imagesPerSec.toFixed(1) });
    },
    onEpoch: (e) => {
      bar?.stop();
      bar = undefined;
      barKey = "";
      const stop = e.stopped === null ? `, ETA ${formatDuration(e.etaSeconds)}` : ` — stopped: ${e.stopped}`;
      log(
        `${e.level} epoch ${e.epoch}/${e.epochs}: loss ${num(e.trainLoss)} acc ${pct(e.trainAccuracy)} | ` +
          `val loss ${num(e.valLoss)} acc ${pct(e.valAccuracy)} | lr ${e.learningRate.toExponential(2)} | ` +
          `${e.imagesPerSec.toFixed(1)} img/s, ${e.seconds.toFixed(0)} s${e.improved ? " *best" : ""}${stop}`,
      );
    },
    stop: () => {
      bar?.stop();
      phases.stop();
    },
  };
}

function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes < 1 ? `${Math.round(seconds)} s` : minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * A model by directory, by version name, or (no reference) the active model version. Returns
 * the ModelVersion when the database knows the model. With `versionRow: false` a directory
 * resolves without touching the database, so a model can classify images on any machine.
 */
export async function resolveModel(
  db: Db,
  ref: string | undefined,
  { versionRow = true }: { versionRow?: boolean } = {},
): Promise<{ dir: string; modelVersion: ModelVersion | null }> {
  const isDir = ref !== undefined && existsSync(ref) && statSync(ref).isDirectory();
  if (isDir && !versionRow) return { dir: resolve(ref), modelVersion: null };
  if (ref === undefined) {
    const active = await getActiveModelVersion(db);
    if (!active) throw new Error("no active model version: train one, or pass --model");
    return { dir: active.path, modelVersion: active };
  }
  const versions = await listModelVersions(db);
  if (isDir) {
    const dir = resolve(ref);
    return { dir, modelVersion: versions.find((v) => resolve(v.path) === dir) ?? null };
  }
  const byName = versions.find((v) => v.version === ref);
  if (!byName) throw new Error(`no model directory or model version "${ref}"`);
  return { dir: byName.path, modelVersion: byName };
}
