/**
 * Trains one network of a model: epochs of (weighted or shuffled) batches, augmented on the
 * image worker one batch ahead, a cosine-annealed learning rate per step, validation after
 * every epoch, the best epoch kept, early stopping, and a checkpoint after every epoch.
 *
 * Every random choice of an epoch comes from a generator seeded by (seed, network, epoch):
 * the order, each batch's augmentation and the dropout masks. An epoch therefore does not
 * depend on how the run got there, and resuming after epoch k replays epoch k+1 exactly.
 */
import { argmax, createRng, type Level } from "@hiwl/model";
import { buildEfficientNet, copyBackbone, loadModelFromFiles, serializeModel, type ModelFiles } from "@hiwl/model/network";
import { cosineLearningRate, moveAverage, NetworkTrainer, predictRows, shuffledEpoch, weightedEpoch, type Network, type StepTotals } from "@hiwl/model/training";
import type { BestEpoch, EpochRecord, NetworkProgress, NetworkState, StopReason } from "./checkpoint.ts";
import type { BestBy, TrainConfig } from "./config.ts";
import { chunk, INFERENCE_BATCH, renderBatches } from "./evaluate.ts";
import type { Cutouts, ImagePipeline } from "./image-pipeline.ts";
import { ReplicaPool } from "./parallel/replica-pool.ts";

/** One network's share of the data: indices into the run's examples and cutouts. */
export interface NetworkData {
  level: Level;
  classes: readonly string[];
  train: { indices: number[]; targets: number[][] };
  /** Validation galaxies with their targets (for the loss) and true output index (for accuracy). */
  val: { indices: number[]; targets: number[][]; truth: number[] };
  weighted: boolean;
}

/** What progress reports name instead of a network while `hiwl pretrain` trains a backbone (self-supervised.ts). */
export const PRETRAIN_STAGE = "pretrain";

export interface StepProgress {
  level: Level | typeof PRETRAIN_STAGE;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Running means over the epoch so far. */
  loss: number;
  accuracy: number;
  imagesPerSec: number;
}

export interface EpochProgress extends EpochRecord {
  level: Level | typeof PRETRAIN_STAGE;
  epochs: number;
  seconds: number;
  /** Until this network has trained all its epochs, at this session's pace (early stopping may end it sooner). */
  etaSeconds: number;
  imagesPerSec: number;
  improved: boolean;
  stopped: StopReason | null;
}

export interface TrainHooks {
  log?: (line: string) => void;
  /** Work outside the epochs: "cutouts" (decoding into the cache), "test" (final evaluation). */
  onPhase?: (phase: string, done: number, total: number) => void;
  onStep?: (progress: StepProgress) => void;
  onEpoch?: (progress: EpochProgress) => void;
  /**
   * Asked after each epoch's checkpoint: true ends the run there, as a crash would, and
   * `--resume` continues it (the tests interrupt runs this way).
   */
  stopAfterCheckpoint?: (progress: EpochProgress) => boolean;
}

export class TrainingInterrupted extends Error {
  override readonly name = "TrainingInterrupted";

  /** The run's version, to resume it by. */
  version?: string;
}

/** A network to start from: whole, or only its backbone under a new classifier (train.ts initialNetworks). */
export interface InitialWeights {
  files: ModelFiles;
  backboneOnly: boolean;
}

export interface NetworkRun {
  config: TrainConfig;
  data: NetworkData;
  progress: NetworkProgress;
  cutouts: Cutouts;
  pipeline: ImagePipeline;
  hooks: TrainHooks;
  /** Training seconds of the run before this network's current session began (for the time limit). */
  secondsBefore: number;
  /** The interrupted state of this network, when resuming it. */
  resume: NetworkState | null;
  /** Starting weights in place of a random initialisation (TrainConfig.initFrom); resume wins. */
  init: InitialWeights | null;
  best: ModelFiles | null;
  /** Persists the run after an epoch (checkpoint.ts); `current` is null once the network has stopped. */
  checkpoint: (epoch: EpochProgress, best: ModelFiles | null, current: NetworkState | null) => Promise<void>;
}

/**
 * Steps between reads of the summed loss (and at the end of each epoch): a read waits until the
 * backend has finished every step before it, so on a GPU reading after each step would stop it
 * between steps. A diverged loss is caught at the next read.
 */
const READ_LOSS_EVERY = 10;

/**
 * An epoch's running loss and accuracy, read from a trainer's sums every READ_LOSS_EVERY steps
 * and at the epoch's last, and reported as step progress.
 */
export class EpochMeter {
  lossSum = 0;
  correct = 0;
  seen = 0;
  readonly started = performance.now();

  constructor(
    private readonly progress: Pick<StepProgress, "level" | "epoch" | "epochs" | "steps">,
    private readonly hooks: TrainHooks,
    /** The error for a loss that is no longer finite, given the steps it summed and the last one's number. */
    private readonly diverged: (sums: StepTotals, step: number) => string,
  ) {}

  /** After step `b` (from 0): reads the sums when it is time to, checks them and reports. */
  async afterStep(trainer: { totals(): Promise<StepTotals> }, b: number): Promise<void> {
    if ((b + 1) % READ_LOSS_EVERY !== 0 && b + 1 < this.progress.steps) return;
    const sums = await trainer.totals();
    if (!Number.isFinite(sums.lossSum)) throw new Error(this.diverged(sums, b + 1));
    this.lossSum += sums.lossSum;
    this.correct += sums.correct;
    this.seen += sums.images;
    this.hooks.onStep?.({
      ...this.progress,
      step: b + 1,
      loss: this.lossSum / this.seen,
      accuracy: this.correct / this.seen,
      imagesPerSec: this.seen / this.seconds(),
    });
  }

  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}

/** Batches of an epoch's order; a last batch of one is dropped (batch norm needs two). */
export function batchesOf(order: readonly number[], batch: number): number[][] {
  const batches = chunk(order, batch);
  if (batches.length > 1 && batches.at(-1)!.length < 2) batches.pop();
  return batches;
}

/**
 * An epoch's order of training examples (by their class labels): passes of HIWL's
 * class-balanced draws with replacement (weightedEpoch), or of shuffles of every example once,
 * until the epoch holds at least `minExamples`.
 */
export function epochOrder(labels: readonly number[], weighted: boolean, seed: string, minExamples = 0): number[] {
  const rng = createRng(`order:${seed}`);
  const order: number[] = [];
  for (let pass = 0; pass < epochPasses(labels.length, minExamples); pass++) {
    order.push(...(weighted ? weightedEpoch(labels, rng) : shuffledEpoch(labels.length, rng)));
  }
  return order;
}

function epochPasses(examples: number, minExamples: number): number {
  return Math.max(1, Math.ceil(minExamples / examples));
}

/** Initial weights differ per network but follow from the seed (seed 0 would mean unseeded to tfjs). */
export function initSeed(seed: number, level: Level): number {
  return 1 + Math.floor(createRng(`init:${seed}:${level}`)() * 2 ** 30);
}

/** Trains until the network stops; returns its best weights. Updates `run.progress` in place. */
export async function trainNetwork(run: NetworkRun): Promise<ModelFiles> {
  const { config, data, progress, hooks } = run;
  const { level } = data;
  if (data.train.indices.length === 0) throw new Error(`no training galaxies for the ${level} network (${data.classes.join(", ")})`);
  // A whole network to continue from; otherwise a new one, which initFrom may give a backbone.
  const whole = run.resume?.model ?? (run.init?.backboneOnly ? null : run.init?.files);
  const model = whole
    ? await loadModelFromFiles(whole)
    : buildEfficientNet({
        variant: config.variant,
        numClasses: data.classes.length,
        inputSize: config.inputSize,
        batchNormMomentum: config.batchNormMomentum,
        classifierInitScale: config.classifierInitScale,
        seed: initSeed(config.seed, level),
      });
  if (!whole && run.init) {
    const source = await loadModelFromFiles(run.init.files);
    try {
      copyBackbone(model, source);
    } finally {
      source.dispose();
    }
  }
  const options = { optimizer: config.optimizer, learningRate: config.lr, weightDecay: config.weightDecay };
  // Runs recorded before replicas existed have no count: they trained on the main thread.
  const workers = config.workers ?? 1;
  let trainer: NetworkTrainer | ReplicaPool;
  if (workers > 1) {
    trainer = await ReplicaPool.start({ workers, model: await serializeModel(model), optimizerState: run.resume?.optimizer ?? null, trainer: options });
  } else {
    trainer = new NetworkTrainer(model, options);
    if (run.resume) await trainer.loadState(run.resume.optimizer);
  }
  const labels = data.train.targets.map(argmax);
  const stepsPerEpoch = batchesOf(
    Array.from({ length: labels.length * epochPasses(labels.length, config.minEpochExamples) }, (_, i) => i),
    config.batch,
  ).length;
  const totalSteps = config.epochs * stepsPerEpoch;
  const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);
  // Runs recorded before averaging existed kept the network's own weights.
  const emaDecay = config.emaDecay ?? 0;
  let averaged = run.resume?.averaged ? await loadModelFromFiles(run.resume.averaged) : null;
  let best = run.best;
  let sessionSeconds = 0;
  const firstEpoch = progress.epochsDone + 1;
  try {
    while (progress.stopped === null) {
      const epoch = progress.epochsDone + 1;
      const batches = batchesOf(epochOrder(labels, data.weighted, `${config.seed}:${level}:${epoch}`, config.minEpochExamples), config.batch);
      const dropout = createRng(`dropout:${config.seed}:${level}:${epoch}`);
      const meter = new EpochMeter({ level, epoch, epochs: config.epochs, steps: batches.length }, hooks, (sums, step) => {
        const steps = sums.steps === 1 ? `step ${step}` : `steps ${step + 1 - sums.steps}-${step}`;
        return `the ${level} loss diverged (${sums.lossSum / sums.images}) in epoch ${epoch}, ${steps}: train again with a lower --lr`;
      });
      let learningRate = config.lr;
      await renderBatches(
        run.pipeline,
        run.cutouts,
        batches.map((b) => b.map((i) => data.train.indices[i]!)),
        config.inputSize,
        (b) => ({ seed: `augment:${config.seed}:${level}:${epoch}:${b}`, rotationDegrees: config.rotationDegrees }),
        async (images, b) => {
          const batch = batches[b]!;
          learningRate = cosineLearningRate(config.lr, (epoch - 1) * stepsPerEpoch + b, totalSteps, warmupSteps);
          await trainer.step(images, batch.map((i) => data.train.targets[i]!), learningRate, dropout);
          await meter.afterStep(trainer, b);
        },
      );
      const trainSeconds = meter.seconds();
      if (trainer instanceof ReplicaPool) await trainer.copyWeightsInto(model);
      if (emaDecay > 0) {
        // The first epoch's weights start the average.
        if (averaged) moveAverage(averaged, model, emaDecay);
        else averaged = await loadModelFromFiles(await serializeModel(model));
      }
      const kept = averaged ?? model;
      const val = await validate(run, kept);
      const seconds = meter.seconds();
      sessionSeconds += seconds;
      const record: EpochRecord = {
        epoch,
        learningRate,
        trainLoss: meter.lossSum / meter.seen,
        trainAccuracy: meter.correct / meter.seen,
        valLoss: val.loss,
        valAccuracy: val.accuracy,
      };
      const improved = isBetter(record, progress.best, config.bestBy);
      if (improved) {
        progress.best = { epoch, valLoss: val.loss, valAccuracy: val.accuracy };
        best = await serializeModel(kept);
      }
      progress.history.push(record);
      progress.epochsDone = epoch;
      progress.stopped = stopReason(config, progress, run.secondsBefore + sessionSeconds, seconds);
      const report: EpochProgress = {
        ...record,
        level,
        epochs: config.epochs,
        seconds,
        etaSeconds: progress.stopped === null ? (config.epochs - epoch) * (sessionSeconds / (epoch - firstEpoch + 1)) : 0,
        imagesPerSec: meter.seen / trainSeconds,
        improved,
        stopped: progress.stopped,
      };
      hooks.onEpoch?.(report);
      const current =
        progress.stopped === null
          ? { model: await serializeModel(model), optimizer: await trainer.saveState(), averaged: averaged && (await serializeModel(averaged)) }
          : null;
      await run.checkpoint(report, best, current);
      if (hooks.stopAfterCheckpoint?.(report)) throw new TrainingInterrupted(`interrupted after ${level} epoch ${epoch}`);
    }
  } finally {
    await (trainer instanceof ReplicaPool ? trainer.close() : trainer.dispose());
    model.dispose();
    averaged?.dispose();
  }
  if (!best) throw new Error(`the ${level} network finished without a best epoch`);
  return best;
}

/**
 * By accuracy, better validation accuracy wins and ties go to the lower loss; by loss, the
 * lower loss wins. Without validation galaxies (a class too small to give any) each epoch
 * replaces the last.
 */
export function isBetter(record: EpochRecord, best: BestEpoch | null, by: BestBy): boolean {
  if (best === null || record.valAccuracy === null || best.valAccuracy === null) return true;
  if (by === "last") return true;
  if (by === "loss") return record.valLoss! < best.valLoss!;
  return (
    record.valAccuracy > best.valAccuracy ||
    (record.valAccuracy === best.valAccuracy && record.valLoss! < best.valLoss!)
  );
}

function stopReason(config: TrainConfig, progress: NetworkProgress, totalSeconds: number, epochSeconds: number): StopReason | null {
  if (progress.epochsDone >= config.epochs) return "epochs";
  if (progress.best && progress.epochsDone - progress.best.epoch >= config.patience) return "early-stopping";
  if (config.maxMinutes !== null && totalSeconds + epochSeconds > config.maxMinutes * 60) return "time-limit";
  return null;
}

async function validate(run: NetworkRun, model: Network): Promise<{ loss: number | null; accuracy: number | null }> {
  const { val } = run.data;
  if (val.indices.length === 0) return { loss: null, accuracy: null };
  let lossSum = 0;
  let correct = 0;
  let offset = 0;
  await renderBatches(
    run.pipeline,
    run.cutouts,
    chunk(val.indices, INFERENCE_BATCH),
    run.config.inputSize,
    () => null,
    async (images) => {
      const rows = await predictRows(model, images);
      rows.forEach((p, i) => {
        lossSum += crossEntropy(val.targets[offset + i]!, p);
        if (argmax(p) === val.truth[offset + i]) correct++;
      });
      offset += rows.length;
    },
  );
  return { loss: lossSum / val.indices.length, accuracy: correct / val.indices.length };
}

/** As tfjs computes it in training: probabilities clipped to [1e-7, 1 - 1e-7]. */
function crossEntropy(target: readonly number[], probs: readonly number[]): number {
  return -target.reduce((sum, t, k) => sum + t * Math.log(Math.min(1 - 1e-7, Math.max(1e-7, probs[k]!))), 0);
}
