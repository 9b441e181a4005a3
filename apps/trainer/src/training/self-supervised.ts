/**
 * `hiwl pretrain`: a backbone pretrained by contrast (@hiwl/model training/contrastive.ts) on
 * every catalogue image but the test galaxies of the runs it is for, labelled or not. It is
 * written as $HIWL_DATA_DIR/backbones/<name>/ (backbone.json and the network's files), which
 * `hiwl train --init-from` takes like a model: its backbone under a new classifier.
 *
 * The test galaxies are those of the named preset's split (its classes, source and split
 * seed), so that fine-tuning with that preset is scored on images the backbone never saw.
 * The folder appears whole when the run ends; an interrupted run leaves nothing behind.
 */
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { listGalaxyImages, type Db } from "@hiwl/db";
import { CLASS_SETS, createRng } from "@hiwl/model";
import { buildEfficientNet, serializeModel } from "@hiwl/model/network";
import { ContrastiveTrainer, cosineLearningRate, shuffledEpoch, SIMCLR_HEAD, type Network } from "@hiwl/model/training";
import type { BackendChoice } from "@hiwl/tfjs";
import { startBackend } from "./backend.ts";
import { resolveTrainConfig, type TrainConfigInput } from "./config.ts";
import { loadDataset, loadExampleCutouts } from "./dataset.ts";
import { renderBatches } from "./evaluate.ts";
import { ImagePipeline } from "./image-pipeline.ts";
import { batchesOf, EpochMeter, initSeed, PRETRAIN_STAGE, type EpochProgress, type TrainHooks } from "./loop.ts";
import { backbonesDir, BACKBONE_FILE, BACKBONE_NETWORK_DIR, createVersionDir, writeJsonAtomic, writeModelFiles, type BackboneMetadata } from "./model-dir.ts";

export interface PretrainSettings {
  epochs: number;
  /** Images per step; each gives two views. */
  batch: number;
  lr: number;
  /** NT-Xent's temperature. */
  temperature: number;
  /** The smallest random crop, as a share of the training crop's area. */
  minCrop: number;
  /** Colour jitter: each channel scaled by e^u, u uniform in [-colour, colour]. */
  colour: number;
  seed: number;
  maxMinutes: number | null;
}

/**
 * SimCLR's recipe scaled to a CPU: its batches of 4,096 cannot fit, and smaller ones work with a
 * lower temperature (Chen et al. 2020, figure 9 and table 5: batch 256 at 0.1-0.2); crops of
 * 35-100% of the area instead of 8-100%, as a galaxy fills only the cutout's centre; any
 * rotation and both flips; mild colour jitter, as colour tells galaxy types apart.
 */
export const PRETRAIN_DEFAULTS: PretrainSettings = {
  epochs: 30,
  batch: 64,
  lr: 0.001,
  temperature: 0.2,
  minCrop: 0.35,
  colour: 0.2,
  seed: 0,
  maxMinutes: null,
};

export interface PretrainOptions extends Partial<PretrainSettings> {
  /** Whose variant, input size, batch-norm momentum, weight decay, classes, source and split the backbone is for. */
  training?: TrainConfigInput;
  backend?: BackendChoice;
}

export interface PretrainResult {
  dir: string;
  metadata: BackboneMetadata;
}

export async function pretrainBackbone(db: Db, dataDir: string, options: PretrainOptions = {}, hooks: TrainHooks = {}): Promise<PretrainResult> {
  const settings: PretrainSettings = { ...PRETRAIN_DEFAULTS, ...definedOf(options) };
  checkSettings(settings);
  const log = hooks.log ?? (() => {});
  const config = resolveTrainConfig(options.training ?? {});
  const { backend } = await startBackend(options.backend ?? "auto", log);

  const { examples, split } = await loadDataset(db, config);
  const held = new Set(split.test.map((i) => examples[i]!.galaxyId));
  const images = (await listGalaxyImages(db, config.source === null ? {} : { source: config.source })).filter((g) => !held.has(g.id));
  if (images.length < settings.batch) {
    throw new Error(`${images.length} catalogue images outside the ${config.preset} preset's test galaxies: pretraining needs at least a batch (${settings.batch})`);
  }
  log(`pretraining a ${config.variant} ${config.inputSize} px backbone on ${images.length} images (the ${held.size} test galaxies of the ${config.preset} preset's split left out)`);
  const cutouts = await loadExampleCutouts(
    images.map((g) => ({ galaxyId: g.id, imagePath: g.imagePath })),
    config.inputSize,
    dataDir,
    (done, total) => hooks.onPhase?.("cutouts", done, total),
  );

  const network = buildEfficientNet({
    variant: config.variant,
    numClasses: CLASS_SETS[config.classes].classes.length,
    inputSize: config.inputSize,
    batchNormMomentum: config.batchNormMomentum,
    seed: initSeed(settings.seed, "flat"),
  });
  const trainer = new ContrastiveTrainer(network, {
    learningRate: settings.lr,
    weightDecay: config.weightDecay,
    temperature: settings.temperature,
    seed: settings.seed + 1,
  });
  const pipeline = await ImagePipeline.start();
  const stepsPerEpoch = batchesOf(Array.from({ length: images.length }, (_, i) => i), settings.batch).length;
  const augmentation = { rotationDegrees: 180, cropScale: [settings.minCrop, 1] as const, colour: settings.colour };
  const history: EpochProgress[] = [];
  let seconds = 0;
  try {
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const batches = batchesOf(shuffledEpoch(images.length, createRng(`pretrain-order:${settings.seed}:${epoch}`)), settings.batch);
      const dropout = createRng(`pretrain-dropout:${settings.seed}:${epoch}`);
      const meter = new EpochMeter(
        { level: PRETRAIN_STAGE, epoch, epochs: settings.epochs, steps: batches.length },
        hooks,
        () => `the contrastive loss diverged in epoch ${epoch}: pretrain again with a lower --lr`,
      );
      // Each batch twice in a row, with different random views: the pair of one step.
      const renders = batches.flatMap((b) => [b, b]);
      let first: Float32Array | null = null;
      let learningRate = settings.lr;
      await renderBatches(
        pipeline,
        cutouts,
        renders,
        config.inputSize,
        (k) => ({ seed: `pretrain-views:${settings.seed}:${epoch}:${k}`, ...augmentation }),
        async (rendered, k) => {
          if (k % 2 === 0) {
            first = rendered;
            return;
          }
          const b = (k - 1) / 2;
          learningRate = cosineLearningRate(settings.lr, (epoch - 1) * stepsPerEpoch + b, settings.epochs * stepsPerEpoch, stepsPerEpoch);
          trainer.step(first!, rendered, learningRate, dropout);
          await meter.afterStep(trainer, b);
        },
      );
      const epochSeconds = meter.seconds();
      seconds += epochSeconds;
      const timeUp = settings.maxMinutes !== null && seconds + epochSeconds > settings.maxMinutes * 60;
      const report: EpochProgress = {
        level: PRETRAIN_STAGE,
        epoch,
        epochs: settings.epochs,
        learningRate,
        trainLoss: meter.lossSum / meter.seen,
        trainAccuracy: meter.correct / meter.seen,
        valLoss: null,
        valAccuracy: null,
        seconds: epochSeconds,
        etaSeconds: (settings.epochs - epoch) * (seconds / epoch),
        imagesPerSec: meter.seen / epochSeconds,
        improved: false,
        stopped: epoch === settings.epochs ? "epochs" : timeUp ? "time-limit" : null,
      };
      history.push(report);
      hooks.onEpoch?.(report);
      if (report.stopped) break;
    }
    const metadata: BackboneMetadata = {
      formatVersion: 1,
      method: "simclr",
      createdAt: new Date().toISOString(),
      variant: config.variant,
      inputSize: config.inputSize,
      images: images.length,
      heldOut: { preset: config.preset, classes: config.classes, source: config.source, splitSeed: config.splitSeed, galaxies: held.size },
      settings: { ...settings, weightDecay: config.weightDecay, batchNormMomentum: config.batchNormMomentum, head: SIMCLR_HEAD, backend },
      epochs: history.map((e) => ({ epoch: e.epoch, loss: e.trainLoss, partnerAccuracy: e.trainAccuracy, seconds: e.seconds })),
    };
    return { dir: await writeBackbone(dataDir, metadata, network), metadata };
  } finally {
    trainer.dispose();
    network.dispose();
    await pipeline.close();
  }
}

/** Writes the backbone under a temporary name and renames it whole into place. */
async function writeBackbone(dataDir: string, metadata: BackboneMetadata, network: Network): Promise<string> {
  const label = `${metadata.variant}${metadata.inputSize}-${metadata.method}`;
  await mkdir(backbonesDir(dataDir), { recursive: true });
  const staging = await mkdtemp(join(backbonesDir(dataDir), ".partial-"));
  try {
    await writeModelFiles(join(staging, BACKBONE_NETWORK_DIR), await serializeModel(network));
    await writeJsonAtomic(join(staging, BACKBONE_FILE), metadata);
    const { dir } = await createVersionDir(backbonesDir(dataDir), label);
    await rename(staging, dir);
    return dir;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

function definedOf(options: PretrainOptions): Partial<PretrainSettings> {
  return Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && key in PRETRAIN_DEFAULTS));
}

function checkSettings(s: PretrainSettings): void {
  const problems: string[] = [];
  const integer = (name: string, value: number, min: number) => {
    if (!(Number.isInteger(value) && value >= min)) problems.push(`${name} must be an integer >= ${min}, got ${value}`);
  };
  integer("epochs", s.epochs, 1);
  integer("batch", s.batch, 2);
  integer("seed", s.seed, 0);
  if (!(s.lr > 0)) problems.push(`learning rate must be positive, got ${s.lr}`);
  if (!(s.temperature > 0)) problems.push(`temperature must be positive, got ${s.temperature}`);
  if (!(s.minCrop > 0 && s.minCrop <= 1)) problems.push(`the smallest crop must be in (0, 1], got ${s.minCrop}`);
  if (!(s.colour >= 0)) problems.push(`colour jitter must be >= 0, got ${s.colour}`);
  if (s.maxMinutes !== null && !(s.maxMinutes > 0)) problems.push(`max minutes must be positive, got ${s.maxMinutes}`);
  if (problems.length) throw new Error(`invalid pretraining options: ${problems.join("; ")}`);
}
