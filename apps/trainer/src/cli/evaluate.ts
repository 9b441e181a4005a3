import { join } from "node:path";
import { Option, type Command } from "commander";
import { dataDir, db } from "@hiwl/db";
import { accuracyByCoverage, calibrationError, calibrationErrorFloor, classificationMetrics, formatCoverage, formatMetrics } from "@hiwl/model";
import type { ViewCount } from "@hiwl/model/inference";
import type { BackendChoice } from "@hiwl/tfjs";
import { startBackend } from "../training/backend.ts";
import { cliHooks, resolveModel } from "./model-options.ts";
import { backendOption, viewsOption } from "./option-parsers.ts";
import { loadDataset } from "../training/dataset.ts";
import { classifyWithModelDir } from "../training/evaluate.ts";
import { readJson } from "../training/model-dir.ts";
import { RUN_FILE, type RunFile } from "../training/train.ts";

const SPLITS = ["test", "val", "train", "all"] as const;

export function registerEvaluate(program: Command) {
  program
    .command("evaluate")
    .description("score a trained model on a split of the labelled galaxies it was trained from (default: its held-out test split)")
    .option("--model <version|dir>", "model version or directory (default: the active model)")
    .addOption(new Option("--split <name>", "which galaxies").choices(SPLITS).default("test"))
    .addOption(viewsOption("--views <n>", "views averaged per prediction instead of the model's own"))
    .addOption(backendOption())
    .action(async (opts: { model?: string; split: (typeof SPLITS)[number]; views?: ViewCount; backend: BackendChoice }) => {
      const hooks = cliHooks();
      try {
        const database = db();
        const { dir } = await resolveModel(database, opts.model);
        const run = await readJson<RunFile>(join(dir, RUN_FILE)).catch(() => {
          throw new Error(`${dir} has no ${RUN_FILE}: its training settings (and so its split) are unknown`);
        });
        await startBackend(opts.backend, console.log);
        const dataset = await loadDataset(database, run.config);
        if (dataset.fingerprint !== run.dataset) {
          console.log("note: the labelled galaxies changed since this model was trained; the split is rebuilt from the current data");
        }
        const indices =
          opts.split === "all"
            ? dataset.examples.flatMap((e, i) => (e.cls === null ? [] : [i]))
            : dataset.split[opts.split].filter((i) => dataset.examples[i]!.cls !== null);
        const examples = indices.map((i) => dataset.examples[i]!);
        const { metadata, classified } = await classifyWithModelDir(dir, examples, dataDir(), { views: opts.views, onPhase: hooks.onPhase });
        hooks.stop();
        const views = opts.views === undefined ? "" : `, ${opts.views} view${opts.views === 1 ? "" : "s"} a galaxy (its own: ${run.config.testViews})`;
        console.log(`${metadata.version} on the ${opts.split} split${views}`);
        const truth = examples.map((e) => e.cls!);
        console.log(formatMetrics(classificationMetrics(metadata.classes, truth, classified.predicted)));
        console.log("");
        console.log(formatCoverage(accuracyByCoverage(classified.probabilities, classified.predicted, truth)));
        const { ece, bins } = calibrationError(classified.probabilities, truth);
        const floor = calibrationErrorFloor(bins);
        console.log(
          `expected calibration error ${(100 * ece).toFixed(2)}% (temperature ${metadata.temperature ?? 1}${metadata.temperature === undefined ? ": uncalibrated version" : ""}; ` +
            `a perfectly calibrated model would measure ${(100 * floor.mean).toFixed(2)}% on these galaxies)`,
        );
      } finally {
        hooks.stop();
      }
    });
}
