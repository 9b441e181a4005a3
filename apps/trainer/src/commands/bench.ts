import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { importFolderCatalog } from "@hiwl/catalog";
import { createDb, listGalaxies, migrate } from "@hiwl/db";
import { formatMetrics } from "@hiwl/model";
import { phasedProgress } from "../progress.ts";
import { addModelOptions, cliHooks, modelConfig, type ModelCliOptions } from "../training/cli.ts";
import type { TrainConfigInput } from "../training/config.ts";
import { registerBenchTrain } from "../training/throughput.ts";
import { trainModel, type RunMetrics } from "../training/train.ts";
import { registerBenchAblation } from "./bench-ablation.ts";
import { registerBenchAl } from "./bench-al.ts";
import { registerBenchRetirement } from "./bench-retirement.ts";

/**
 * The Galaxy Zoo 1 benchmark's defaults, aimed at the issue's target (>= 96.3% held-out accuracy
 * on smooth / edge-on / spiral within 60 minutes of training on the 2-core machines).
 * - 80 px: at 64 px a spiral's arms span a few pixels and spirals were the class the network
 *   missed (after one epoch, 80.0% validation accuracy at 96 px against 75.4% at 64 px); 80 px
 *   costs about 1.6 times 64 px per image, 96 px 2.3 times.
 * - Adam with a one-epoch warm-up: from scratch, SGD at HIWL's 0.005 learns too slowly in a
 *   run this short, and Adam's first steps, with its variance estimates still near zero, are the
 *   ones that overshoot.
 * - Plain shuffling: weighted sampling trades overall accuracy for the minority classes' recall.
 * - The time limit stops a run slowed by other work a few epochs early, where the cosine is
 *   near zero anyway.
 * The network's classifier init and batch-norm momentum are the general defaults (config.ts).
 */
export const GZ1_DEFAULTS = {
  variant: "tiny",
  inputSize: 80,
  batch: 32,
  epochs: 22,
  optimizer: "adam",
  lr: 0.003,
  warmupEpochs: 1,
  weightedSampling: false,
  maxMinutes: 28,
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

  registerBenchTrain(bench);
  registerBenchAl(bench);
  registerBenchAblation(bench);
  registerBenchRetirement(bench);

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
        const { timing, curves } = JSON.parse(result.modelVersion.metrics) as RunMetrics;
        const { variant, inputSize, optimizer, lr, batch } = result.config;
        console.log("");
        console.log(
          `Galaxy Zoo 1, smooth / edge-on / spiral: ${variant} at ${inputSize} px, ${optimizer} lr ${lr}, batch ${batch}, ` +
            `${curves.flat?.length ?? 0} epochs in ${(timing.trainSeconds / 60).toFixed(1)} min of training, ${minutes.toFixed(1)} min in all`,
        );
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
