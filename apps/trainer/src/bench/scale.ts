/**
 * `hiwl bench scale` (npm run bench:scale): the worker's loop at survey scale. Renders N
 * synthetic galaxies into its own data directory (kept, so a second run reuses them), trains
 * the worker's recipe for one epoch on them, scores every galaxy with the new model and stores
 * the scores as the worker does (making it the active version), and prints each phase's time
 * and images/s.
 */
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { seedSynthetic } from "@hiwl/catalog";
import { activateWithScores, createDb, galaxyCounts, migrate, runMetricsOf } from "@hiwl/db";
import { phasedProgress } from "../cli/progress.ts";
import { addModelOptions, cliHooks, modelConfig, type ModelCliOptions } from "../cli/model-options.ts";
import { integer } from "../cli/option-parsers.ts";
import { textTable } from "../cli/text.ts";
import { ImagePipeline } from "../training/image-pipeline.ts";
import { loadModelDir } from "../training/model-dir.ts";
import { presetScoring } from "../training/presets.ts";
import { trainModel } from "../training/train.ts";
import { scoreActiveGalaxies } from "../worker/scoring.ts";

interface Phase {
  name: string;
  seconds: number;
  /** Images the phase went through (null: not recorded), and their rate. */
  images: number | null;
  imagesPerSec: number;
}

export function registerBenchScale(bench: Command): void {
  addModelOptions(
    bench
      .command("scale")
      .description("render (or reuse) N synthetic galaxies, train the worker's recipe for one epoch and score every galaxy; print each phase's time")
      .option("--galaxies <n>", "synthetic galaxies in the catalogue", integer("--galaxies", 100), 20_000)
      .option("--data-dir <dir>", "data directory for the catalogue, cutouts and models (kept between runs)", join(tmpdir(), "hiwl-scale")),
    "worker",
  ).action(async (opts: ModelCliOptions & { galaxies: number; dataDir: string }) => {
    const dataDir = resolve(opts.dataDir);
    process.env.HIWL_DATA_DIR = dataDir;
    await migrate(dataDir);
    const db = createDb({ dataDir });
    const phases: Phase[] = [];
    const timed = async <T>(name: string, images: number, run: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await run();
      const seconds = (performance.now() - started) / 1000;
      phases.push({ name, seconds, images, imagesPerSec: images / seconds });
      return result;
    };
    let pipeline: ImagePipeline | null = null;
    try {
      const progress = phasedProgress();
      const seeded = await timed("render", opts.galaxies, () =>
        seedSynthetic(db, { count: opts.galaxies, seed: "scale", onProgress: progress.onProgress }, dataDir),
      ).finally(() => progress.stop());
      if (seeded.skipped > 0) phases.at(-1)!.name = `render (${seeded.skipped} reused)`;
      const { total } = await galaxyCounts(db);

      const hooks = cliHooks();
      const result = await timed("cutouts, train one epoch, test", total, () =>
        trainModel(db, dataDir, { ...modelConfig(opts, "worker"), epochs: opts.epochs ?? 1, backend: opts.backend }, hooks),
      ).finally(() => hooks.stop());
      // The training run's own record: each network's epoch, validation included in its seconds, training alone in its rate.
      for (const e of runMetricsOf(result.modelVersion).timing.epochs) {
        phases.push({ name: `  ${e.level} epoch ${e.epoch}`, seconds: e.seconds, images: null, imagesPerSec: e.imagesPerSec });
      }

      pipeline = await ImagePipeline.start();
      const scoring = phasedProgress();
      const model = await loadModelDir(result.dir);
      const run = await timed("score every galaxy", total, () =>
        scoreActiveGalaxies(db, model, result.modelVersion.id, pipeline!, {
          ...presetScoring(result.config.preset),
          dataDir,
          featureMap: null,
          onPhase: scoring.onProgress,
        }),
      ).finally(() => {
        scoring.stop();
        model.dispose();
      });
      await timed("store predictions and priorities, activate", run.scores.length, () =>
        activateWithScores(db, result.modelVersion.id, run.scores),
      );

      const { variant, inputSize, workers } = result.config;
      console.log("");
      console.log(
        `${total} synthetic galaxies, ${variant} at ${inputSize} px, ${workers} training replica(s); ` +
          `${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${availableParallelism()} cores, Node ${process.version}`,
      );
      console.log(
        textTable(
          ["phase", "seconds", "images", "images/s"],
          phases.map((p) => [p.name, p.seconds.toFixed(1), p.images === null ? "" : String(p.images), p.imagesPerSec.toFixed(1)]),
        ),
      );
      console.log(`scored ${run.summary.scored} galaxies with ${result.version}`);
    } finally {
      await pipeline?.close();
      await db.$disconnect();
    }
  });
}
