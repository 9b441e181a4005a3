import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { importFolderCatalog } from "@hiwl/catalog";
import { createDb, listGalaxies, migrate, runMetricsOf } from "@hiwl/db";
import { formatCalibration, formatMetrics } from "@hiwl/model";
import { phasedProgress } from "../cli/progress.ts";
import { addModelOptions, cliHooks, initFromOption, modelConfig, resolveModel, type ModelCliOptions } from "../cli/model-options.ts";
import { PRESETS } from "../training/presets.ts";
import { registerBenchTrain } from "./throughput.ts";
import { trainModel } from "../training/train.ts";
import { resolveTrainConfig } from "../training/config.ts";
import { pretrainBackbone } from "../training/self-supervised.ts";
import { integer } from "../cli/option-parsers.ts";
import { registerBenchAblation } from "./ablation.ts";
import { registerBenchAl } from "./al.ts";
import { registerBenchRetirement } from "./retirement.ts";
import { registerBenchReliability } from "./reliability.ts";
import { registerBenchScale } from "./scale.ts";
import { confidenceByGroup, formatConfidenceGroups, unplacedGalaxies } from "./gz1-unsure.ts";
import { ImagePipeline } from "../training/image-pipeline.ts";
import { startBackend } from "../training/backend.ts";

/** The sample is imported as the source the gz1 preset trains on. */
const GZ1_SOURCE = PRESETS.gz1.training.source!;
/**
 * bench:gz1 starts from random weights unless asked to pretrain: three runs pretrained without
 * labels (benchmarks.md's ablation, rows 10 and 11) matched the preset's accuracy (86.31-86.62%
 * against 86.00-87.08%), and their calibration error after temperature scaling, 2.63% and 2.79%
 * from one backbone but 4.50% from one pretrained with `--pretrain-epochs 9`, showed no lead
 * beyond the test set's noise, for 15-20 more minutes.
 */
const GZ1_PRETRAIN_EPOCHS = 0;
/** labels.csv's columns (../shared/data/gz1/README.md). */
const GZ1_COLUMNS = { id: "objid", label: "label" };

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
  registerBenchReliability(bench);
  registerBenchScale(bench);

  addModelOptions(
    bench
      .command("gz1")
      .description(
        "train the coarse smooth / edge-on / spiral classifier on Galaxy Zoo 1 (imported once into --data-dir) and print its held-out scores",
      )
      .option("--gz1 <dir>", "the Galaxy Zoo 1 folder (images/ and labels.csv)", "../shared/data/gz1")
      .option("--data-dir <dir>", "data directory for the imported catalogue, cutouts and models", join(tmpdir(), "hiwl-gz1"))
      .option("--model <dir>", "check a model trained before instead of training one: how sure it is of each group of galaxies")
      .option(
        "--pretrain-epochs <n>",
        "first pretrain the backbone without labels (hiwl pretrain) on the sample's images but the test galaxies, for this many epochs; " +
          "0: start from random weights; 9 took 15-20 minutes here (ignored with --init-from)",
        integer("--pretrain-epochs"),
        GZ1_PRETRAIN_EPOCHS,
      )
      .addOption(initFromOption()),
    "gz1",
  ).action(async (opts: ModelCliOptions & { gz1: string; dataDir: string; model?: string; initFrom?: string; pretrainEpochs: number }) => {
    const dataDir = resolve(opts.dataDir);
    // The catalogue importer stores images under HIWL_DATA_DIR.
    process.env.HIWL_DATA_DIR = dataDir;
    // Checking a model only reads: the data directory may be training another one meanwhile.
    if (!opts.model) await migrate(dataDir);
    const database = createDb({ dataDir });
    try {
      if ((await listGalaxies(database, { source: GZ1_SOURCE, pageSize: 1 })).total === 0) {
        if (opts.model) throw new Error(`${dataDir} holds no Galaxy Zoo 1 catalogue: run bench gz1 without --model first`);
        const progress = phasedProgress();
        try {
          const result = await importFolderCatalog(database, {
            images: join(opts.gz1, "images"),
            labels: join(opts.gz1, "labels.csv"),
            idColumn: GZ1_COLUMNS.id,
            labelColumn: GZ1_COLUMNS.label,
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
      const confidenceCheck = async (dir: string) => {
        const imported = await database.galaxy.findMany({
          where: { source: GZ1_SOURCE, catalogLabel: null },
          select: { id: true, externalId: true, imagePath: true },
          orderBy: { id: "asc" },
        });
        const unplaced = unplacedGalaxies(imported, join(opts.gz1, "labels.csv"), GZ1_COLUMNS.id, GZ1_COLUMNS.label);
        const pipeline = await ImagePipeline.start();
        try {
          console.log(formatConfidenceGroups(await confidenceByGroup(database, dataDir, dir, pipeline, unplaced)));
        } finally {
          await pipeline.close();
        }
      };
      if (opts.model) {
        await startBackend(opts.backend);
        await confidenceCheck(resolve(opts.model));
        return;
      }
      const hooks = cliHooks();
      const started = performance.now();
      try {
        const training = modelConfig(opts, "gz1");
        let initFrom = opts.initFrom === undefined ? undefined : (await resolveModel(database, opts.initFrom)).dir;
        let pretrained = "";
        if (initFrom === undefined && opts.pretrainEpochs > 0) {
          const backbone = await pretrainBackbone(
            database,
            dataDir,
            { training, epochs: opts.pretrainEpochs, seed: resolveTrainConfig(training).seed, backend: opts.backend },
            hooks,
          );
          initFrom = backbone.dir;
          const { epochs } = backbone.metadata;
          pretrained = `, after ${epochs.length} epochs of pretraining without labels in ${(epochs.reduce((sum, e) => sum + e.seconds, 0) / 60).toFixed(1)} min`;
        }
        const result = await trainModel(database, dataDir, { ...training, backend: opts.backend, initFrom }, hooks);
        hooks.stop();
        const minutes = (performance.now() - started) / 60_000;
        const { timing, curves, calibration } = runMetricsOf(result.modelVersion);
        const { variant, inputSize, optimizer, lr, batch } = result.config;
        console.log("");
        console.log(
          `Galaxy Zoo 1, smooth / edge-on / spiral: ${variant} at ${inputSize} px, ${optimizer} lr ${lr}, batch ${batch}, ` +
            `${curves.flat?.length ?? 0} epochs in ${(timing.trainSeconds / 60).toFixed(1)} min of training${pretrained}, ${minutes.toFixed(1)} min in all`,
        );
        console.log(formatMetrics(result.metrics));
        if (calibration) console.log(formatCalibration(calibration));
        console.log("");
        await confidenceCheck(result.dir);
        console.log(`model saved to ${result.dir}`);
      } finally {
        hooks.stop();
      }
    } finally {
      await database.$disconnect();
    }
  });
}
