import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { importFolderCatalog } from "@hiwl/catalog";
import { createDb, listGalaxies, migrate } from "@hiwl/db";
import { createRng, formatMetrics, HIWL_CLASSES } from "@hiwl/model";
import { buildEfficientNet, EFFICIENTNET_VARIANT_NAMES, type EfficientNetVariantName } from "@hiwl/model/network";
import { selectBackend, type BackendChoice } from "@hiwl/model/node";
import { NetworkTrainer, predictRows } from "@hiwl/model/training";
import { phasedProgress } from "../progress.ts";
import { addModelOptions, backendOption, cliHooks, integer, modelConfig, type ModelCliOptions } from "../training/cli.ts";
import { TRAIN_DEFAULTS, type TrainConfigInput } from "../training/config.ts";
import { INFERENCE_BATCH } from "../training/evaluate.ts";
import { trainModel } from "../training/train.ts";

export interface BenchRow {
  backend: string;
  model: EfficientNetVariantName;
  inputSize: number;
  batch: number;
  trainImagesPerSec: number;
  inferImagesPerSec: number;
}

/**
 * The Galaxy Zoo 1 benchmark's defaults, aimed at the issue's target (>= 96.3% held-out accuracy
 * on smooth / edge-on / spiral within 60 minutes of training on the 2-core machines). tiny at
 * 64 px trained at 80-110 images/s here, so 40 epochs of the 5,193 training galaxies take about
 * 45 minutes; 64 px rather than 48 because spirals are the class that resolution limits. Adam:
 * from scratch, SGD at HIWL's 0.005 takes steps far larger than the early weights. Plain
 * shuffling: weighted sampling trades overall accuracy for the minority classes' recall.
 */
export const GZ1_DEFAULTS = {
  variant: "tiny",
  inputSize: 64,
  batch: 32,
  epochs: 40,
  optimizer: "adam",
  lr: 0.003,
  weightedSampling: false,
  maxMinutes: 60,
} as const satisfies TrainConfigInput;

const GZ1_SOURCE = "gz1";
const GZ1_LABELS = {
  elliptical: "smooth",
  spiral_clockwise: "spiral",
  spiral_anticlockwise: "spiral",
  edge_on: "edge-on",
};

export function registerBench(program: Command) {
  const bench = program.command("bench").description("benchmarks: training throughput, and accuracy on real Galaxy Zoo 1 images");

  bench
    .command("train")
    .description("training and inference throughput of the networks on this machine (random inputs, the trainer's own step)")
    .option("--variant <list>", `comma-separated variants (${EFFICIENTNET_VARIANT_NAMES.join(", ")})`, "b0,tiny,nano")
    .option("--input-size <list>", "comma-separated input sizes", "64")
    .option("--batch <n>", "training batch size", integer("--batch", 2), TRAIN_DEFAULTS.batch)
    .option("--steps <n>", "timed training steps after one warm-up step", integer("--steps", 1), 5)
    .addOption(backendOption())
    .option("--json", "one JSON object per row instead of a table")
    .action(async (opts: { variant: string; inputSize: string; batch: number; steps: number; backend: BackendChoice; json?: boolean }) => {
      const variants = opts.variant.split(",").map((v) => v.trim()) as EfficientNetVariantName[];
      const unknown = variants.filter((v) => !EFFICIENTNET_VARIANT_NAMES.includes(v));
      if (unknown.length) throw new Error(`unknown variant(s) ${unknown.join(", ")}`);
      const sizes = opts.inputSize.split(",").map((s) => integer("--input-size", 16)(s.trim()));
      const selected = await selectBackend({ backend: opts.backend, log: opts.json ? undefined : console.log });
      const rows: BenchRow[] = [];
      for (const variant of variants) {
        for (const inputSize of sizes) {
          const row = { backend: selected.backend, model: variant, inputSize, batch: opts.batch, ...(await measure(variant, inputSize, opts.batch, opts.steps)) };
          rows.push(row);
          if (opts.json) console.log(JSON.stringify(row));
        }
      }
      if (!opts.json) {
        const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
        console.log(`machine: ${cpu}, ${availableParallelism()} cores, Node ${process.version}`);
        console.log(formatTable(rows));
        console.log("(training augments on a worker thread in parallel; these figures are the network steps alone)");
      }
    });

  addModelOptions(
    bench
      .command("gz1")
      .description(
        "train the coarse smooth / edge-on / spiral classifier on Galaxy Zoo 1 (imported once into --data-dir) and print its held-out scores",
      )
      .option("--gz1 <dir>", "the Galaxy Zoo 1 folder (images/ and labels.csv)", "../shared/data/gz1")
      .option("--data-dir <dir>", "data directory for the imported catalogue, cutouts and models", join(tmpdir(), "hiwl-gz1")),
    GZ1_DEFAULTS,
  ).action(async (opts: ModelCliOptions & { gz1: string; dataDir: string }) => {
    const dataDir = resolve(opts.dataDir);
    // The catalogue importer stores images under HIWL_DATA_DIR.
    process.env.HIWL_DATA_DIR = dataDir;
    await migrate(dataDir);
    const database = createDb({ dataDir });
    try {
      if ((await listGalaxies(database, { source: GZ1_SOURCE, pageSize: 1 })).total === 0) {
        const progress = phasedProgress();
        try {
          const result = await importFolderCatalog(database, {
            images: join(opts.gz1, "images"),
            labels: join(opts.gz1, "labels.csv"),
            idColumn: "objid",
            labelColumn: "label",
            map: GZ1_LABELS,
            source: GZ1_SOURCE,
            onProgress: progress.onProgress,
          });
          progress.stop();
          console.log(`imported ${result.added} Galaxy Zoo 1 galaxies into ${dataDir}`);
        } finally {
          progress.stop();
        }
      }
      const hooks = cliHooks();
      const started = performance.now();
      try {
        const result = await trainModel(
          database,
          dataDir,
          {
            ...modelConfig(opts),
            classes: "coarse",
            source: GZ1_SOURCE,
            weightedSampling: GZ1_DEFAULTS.weightedSampling,
            backend: opts.backend,
          },
          hooks,
        );
        hooks.stop();
        const minutes = (performance.now() - started) / 60_000;
        console.log("");
        console.log(`Galaxy Zoo 1, smooth / edge-on / spiral: ${result.config.variant} at ${result.config.inputSize} px, ${minutes.toFixed(1)} min in all`);
        console.log(formatMetrics(result.metrics));
        console.log(`model saved to ${result.dir}`);
      } finally {
        hooks.stop();
      }
    } finally {
      await database.$disconnect();
    }
  });
}

/** Median times of the trainer's own step (SGD, weight decay, dropout) and of inference, on random inputs. */
async function measure(
  variant: EfficientNetVariantName,
  inputSize: number,
  batch: number,
  steps: number,
): Promise<Pick<BenchRow, "trainImagesPerSec" | "inferImagesPerSec">> {
  const model = buildEfficientNet({ variant, numClasses: HIWL_CLASSES.length, inputSize, seed: 1 });
  const trainer = new NetworkTrainer(model, { optimizer: "sgd", learningRate: 0.005, weightDecay: TRAIN_DEFAULTS.weightDecay });
  const rng = createRng("bench");
  const noise = (n: number) => Float32Array.from({ length: n * inputSize * inputSize * 3 }, () => 2 * rng() - 1);
  const images = noise(batch);
  const targets = Array.from({ length: batch }, (_, i) => HIWL_CLASSES.map((_, k) => (k === i % HIWL_CLASSES.length ? 1 : 0)));
  const inferImages = noise(INFERENCE_BATCH);
  try {
    const trainMs: number[] = [];
    for (let i = 0; i <= steps; i++) {
      const start = performance.now();
      await trainer.step(images, targets, 0.005, rng);
      if (i > 0) trainMs.push(performance.now() - start);
    }
    const inferMs: number[] = [];
    for (let i = 0; i <= Math.max(2, Math.ceil(steps / 2)); i++) {
      const start = performance.now();
      await predictRows(model, inferImages);
      if (i > 0) inferMs.push(performance.now() - start);
    }
    return {
      trainImagesPerSec: round((batch * 1000) / median(trainMs)),
      inferImagesPerSec: round((INFERENCE_BATCH * 1000) / median(inferMs)),
    };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function formatTable(rows: BenchRow[]): string {
  const table = [
    ["backend", "model", "input", "batch", "train img/s", "infer img/s"],
    ...rows.map((r) => [r.backend, r.model, `${r.inputSize}px`, String(r.batch), r.trainImagesPerSec.toFixed(1), r.inferImagesPerSec.toFixed(1)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => (i >= 4 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}
