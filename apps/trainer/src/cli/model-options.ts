/**
 * What the train, evaluate, predict and bench commands share: option parsing, progress
 * display and finding a model by version, directory or the active one.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { getActiveModelVersion, listModelVersions, storedPath, type Db, type ModelVersion } from "@hiwl/db";
import { EFFICIENTNET_VARIANT_NAMES } from "@hiwl/model/network";
import { OPTIMIZERS } from "@hiwl/model/training";
import { phasedProgress, progressBar, type Progress } from "./progress.ts";
import { BEST_BY, type BACKEND_CHOICES, type TrainConfigInput } from "../training/config.ts";
import { defaultWorkers } from "../training/parallel/replica-pool.ts";
import { backendOption, finiteNumber, integer, positiveNumber, viewsOption } from "./option-parsers.ts";
import { PRESET_NAMES, PRESETS, type PresetName } from "../training/presets.ts";
import type { TrainHooks } from "../training/loop.ts";

/**
 * The options of `hiwl train` that shape the model, shared with `hiwl watch` and the benches.
 * They have no defaults of their own: an option given overrides the preset's setting, the rest
 * are the preset's. `preset` is the command's recipe; `choosable` adds `--preset` to pick another.
 */
export function addModelOptions(command: Command, preset: PresetName, { choosable = false } = {}): Command {
  const d = PRESETS[preset].training;
  const of = (value: unknown) => presetHelp(preset, value);
  if (choosable) {
    command.addOption(
      new Option(
        "--preset <name>",
        `training recipe, each setting's reason in apps/trainer/src/training/presets.ts; the options below override its settings: ` +
          `${PRESET_NAMES.map((name) => `${name}: ${PRESETS[name].purpose}`).join("; ")} (default: ${preset})`,
      ).choices(PRESET_NAMES),
    );
  }
  return command
    .addOption(new Option("--variant <name>", `EfficientNet variant${of(d.variant)}`).choices(EFFICIENTNET_VARIANT_NAMES))
    .option("--input-size <px>", `network input side${of(d.inputSize)}`, integer("--input-size", 16))
    .option("--batch <n>", `batch size${of(d.batch)}`, integer("--batch", 2))
    .option("--epochs <n>", `epochs per network, which the cosine schedule spans${of(d.epochs)}`, integer("--epochs", 1))
    .addOption(new Option("--optimizer <name>", `sgd: momentum 0.9 as in HIWL${of(d.optimizer)}`).choices(OPTIMIZERS))
    .option("--lr <x>", `initial learning rate; another optimizer than the preset's starts at 0.005 (sgd) or 0.001 (adam)${of(d.lr)}`, positiveNumber("--lr"))
    .option("--warmup-epochs <x>", `linear learning-rate warm-up before the cosine, in epochs${of(d.warmupEpochs)}`, finiteNumber("--warmup-epochs", 0))
    .option("--weight-decay <x>", `decoupled weight decay of the kernels${of(d.weightDecay)}`, finiteNumber("--weight-decay", 0))
    .option("--bn-momentum <x>", `batch norm's moving-average momentum, Keras: 0.99${of(d.batchNormMomentum)}`, finiteNumber("--bn-momentum", 0))
    .option(
      "--classifier-init-scale <x>",
      `classifier's initial weights relative to Keras', Keras: 1${of(d.classifierInitScale)}`,
      finiteNumber("--classifier-init-scale", 0),
    )
    .option("--rotation <degrees>", `training views rotate within +- this angle, 180: any${of(d.rotationDegrees)}`, finiteNumber("--rotation", 0))
    .addOption(viewsOption("--test-views <n>", `views averaged per prediction of the trained model${of(d.testViews)}`))
    .option(
      "--ema-decay <x>",
      `average the weights over epochs, the kept ones moving by 1 - x after each (0: none)${of(d.emaDecay)}`,
      finiteNumber("--ema-decay", 0),
    )
    .option("--patience <n>", `early stopping: epochs without a better validation result${of(d.patience)}`, integer("--patience", 1))
    .addOption(
      new Option(
        "--best-by <figure>",
        `the epoch kept: best validation accuracy or loss (also drives early stopping), or the last${of(d.bestBy)}`,
      ).choices(BEST_BY),
    )
    .option(
      "--min-epoch-examples <n>",
      `an epoch passes over a small training set until it has drawn this many examples${of(d.minEpochExamples)}`,
      integer("--min-epoch-examples"),
    )
    .option("--seed <n>", `seeds weights, sampling, augmentation and dropout: the same seed gives the same model${of(d.seed)}`, integer("--seed"))
    .option("--split-seed <n>", `seeds the per-class 80/10/10 split${of(d.splitSeed)}`, integer("--split-seed"))
    .option("--limit <n>", "train on a seeded random subset of this many labelled galaxies", integer("--limit", 1))
    .option(
      "--max-minutes <m>",
      `stop a network after the epoch that would end past this training time${d.maxMinutes === null ? "" : of(d.maxMinutes)}`,
      positiveNumber("--max-minutes"),
    )
    .option(
      "--workers <n>",
      `replicas training on worker threads, each on its share of a batch (1: the main thread; the same count repeats a run exactly)${of(d.workers ?? `${defaultWorkers()}, every core but one`)}`,
      integer("--workers", 1),
    )
    .addOption(backendOption());
}

/** `--init-from`, for the commands that train (its value resolves with resolveModel). */
export const initFromOption = () =>
  new Option(
    "--init-from <model>",
    "start from this model's weights (a version, a model directory or a `hiwl pretrain` backbone, of the same variant): whole where its input size and classes are this run's, otherwise its backbone under a new classifier",
  );

/** An option's help names the value the command's preset gives it, as commander names a default. */
export function presetHelp(preset: PresetName, value: unknown): string {
  return ` (${preset} preset: ${String(value)})`;
}

/** The options addModelOptions parses: only those given are set. */
export interface ModelCliOptions {
  preset?: PresetName;
  variant?: TrainConfigInput["variant"];
  inputSize?: number;
  batch?: number;
  epochs?: number;
  optimizer?: TrainConfigInput["optimizer"];
  lr?: number;
  warmupEpochs?: number;
  weightDecay?: number;
  bnMomentum?: number;
  classifierInitScale?: number;
  rotation?: number;
  testViews?: TrainConfigInput["testViews"];
  emaDecay?: number;
  patience?: number;
  bestBy?: TrainConfigInput["bestBy"];
  minEpochExamples?: number;
  seed?: number;
  splitSeed?: number;
  limit?: number;
  maxMinutes?: number;
  workers?: number;
  backend: (typeof BACKEND_CHOICES)[number];
}

/** The training settings of the parsed options: `--preset` or the command's `preset`, overridden by the options given. */
export function modelConfig(opts: ModelCliOptions, preset: PresetName): TrainConfigInput & { preset: PresetName } {
  const { backend: _backend, bnMomentum, rotation, ...rest } = opts;
  return { ...rest, preset: opts.preset ?? preset, batchNormMomentum: bnMomentum, rotationDegrees: rotation };
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
    return { dir: storedPath(active.path), modelVersion: active };
  }
  const versions = await listModelVersions(db);
  if (isDir) {
    const dir = resolve(ref);
    return { dir, modelVersion: versions.find((v) => storedPath(v.path) === dir) ?? null };
  }
  const byName = versions.find((v) => v.version === ref);
  if (!byName) throw new Error(`no model directory or model version "${ref}"`);
  return { dir: storedPath(byName.path), modelVersion: byName };
}
