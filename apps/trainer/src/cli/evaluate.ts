import { join } from "node:path";
import { Option, type Command } from "commander";
import { dataDir, db } from "@hiwl/db";
import { accuracyByCoverage, calibrationError, calibrationErrorFloor, classificationMetrics, formatCoverage, formatMetrics } from "@hiwl/model";
import type { BackendChoice } from "@hiwl/tfjs";
import { startBackend } from "../training/backend.ts";
import { cliHooks, resolveModel } from "./model-options.ts";
import { backendOption } from "./option-parsers.ts";
import { loadDataset, loadExampleCutouts } from "../training/dataset.ts";
import { classifyCutouts, withClassifier } from "../training/evaluate.ts";
import { ImagePipeline } from "../training/image-pipeline.ts";
import { loadModelDir, readJson } from "../training/model-dir.ts";
import { RUN_FILE, type RunFile } from "../training/train.ts";

const SPLITS = ["test", "val", "train", "all"] as const;

export function registerEvaluate(program: Command) {
  program
    .command("evaluate")
    .description("score a trained model on a split of the labelled galaxies it was trained from (default: its held-out test split)")
    .option("--model <version|dir>", "model version or directory (default: the active model)")
    .addOption(new Option("--split <name>", "which galaxies").choices(SPLITS).default("test"))
    .addOption(backendOption())
    .action(async (opts: { model?: string; split: (typeof SPLITS)[number]; backend: BackendChoice }) => {
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
        const cutouts = await loadExampleCutouts(examples, run.config.inputSize, dataDir(), (done, total) =>
          hooks.onPhase?.("cutouts", done, total),
        );
        const model = await loadModelDir(dir);
        const pipeline = await ImagePipeline.start();
        try {
          const classified = await withClassifier(model, examples.length, (classifier) =>
            classifyCutouts(classifier, pipeline, cutouts, examples.map((_, i) => i), {
              onProgress: (done, total) => hooks.onPhase?.("classify", done, total),
            }),
          );
          hooks.stop();
          console.log(`${model.metadata.version} on the ${opts.split} split`);
          const truth = examples.map((e) => e.cls!);
          console.log(formatMetrics(classificationMetrics(model.set.classes, truth, classified.predicted)));
          console.log("");
          console.log(formatCoverage(accuracyByCoverage(classified.probabilities, classified.predicted, truth)));
          const { ece, bins } = calibrationError(classified.probabilities, truth);
          const floor = calibrationErrorFloor(bins);
          console.log(
            `expected calibration error ${(100 * ece).toFixed(2)}% (temperature ${model.metadata.temperature ?? 1}${model.metadata.temperature === undefined ? ": uncalibrated version" : ""}; ` +
              `a perfectly calibrated model would measure ${(100 * floor.mean).toFixed(2)}% on these galaxies)`,
          );
        } finally {
          model.dispose();
          await pipeline.close();
        }
      } finally {
        hooks.stop();
      }
    });
}
