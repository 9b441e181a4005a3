import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import { dataDir, db, listGalaxyImages, scoredGalaxies, upsertPredictions, type Db } from "@hiwl/db";
import type { BackendChoice } from "@hiwl/tfjs";
import { startBackend } from "../training/backend.ts";
import { cliHooks, resolveModel } from "./model-options.ts";
import { backendOption, integer } from "./option-parsers.ts";
import { loadExampleCutouts } from "../training/dataset.ts";
import { classifyCutouts, withClassifier } from "../training/evaluate.ts";
import { ImagePipeline } from "../training/image-pipeline.ts";
import { loadModelDir, writeFileAtomic, type LoadedModel } from "../training/model-dir.ts";
import { buildFeatureMap, FEATURE_MAP_DEFAULTS, featureMapSample } from "../worker/feature-map.ts";
import { featuresOf, predictGalaxies } from "../worker/scoring.ts";

const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png"]);

interface PredictOptions {
  model?: string;
  source?: string;
  images?: string;
  out?: string;
  featureMap: number;
  backend: BackendChoice;
}

export function registerPredict(program: Command) {
  program
    .command("predict")
    .description(
      "store Prediction rows for the database's galaxies that the model version has none for, " +
        "or classify a folder of images into a CSV (--images DIR --out FILE.csv)",
    )
    .option("--model <version|dir>", "model version or directory (default: the active model)")
    .option("--source <name>", "only score galaxies of this source")
    .option("--images <dir>", "a folder of .jpg/.jpeg/.png images to classify instead of the database")
    .option("--out <file>", "CSV to write for --images: id,p_<class>,... (id = file name without extension)")
    .option(
      "--feature-map <n>",
      "also map the features of at most n of the galaxies for the dashboard, from the same pass (0: no map)",
      integer("--feature-map"),
      FEATURE_MAP_DEFAULTS.limit,
    )
    .addOption(backendOption())
    .action(async (opts: PredictOptions) => {
      if ((opts.images === undefined) !== (opts.out === undefined)) throw new Error("--images and --out go together");
      const hooks = cliHooks();
      const database = db();
      // Images into a CSV need no ModelVersion row, and so no database when --model is a directory.
      const { dir, modelVersion } = await resolveModel(database, opts.model, { versionRow: opts.images === undefined });
      await startBackend(opts.backend, console.log);
      const model = await loadModelDir(dir);
      const pipeline = await ImagePipeline.start();
      try {
        if (opts.images !== undefined) {
          const { csv, count } = await predictFolder(model, pipeline, opts.images, hooks.onPhase!);
          await writeFileAtomic(resolve(opts.out!), csv);
          hooks.stop();
          console.log(`${count} images classified with ${model.metadata.version} -> ${resolve(opts.out!)}`);
        } else {
          if (!modelVersion) throw new Error(`${dir} is not a model version in the database: register it by training, or use --images`);
          const { written, kept, features, galaxies } = await predictDatabase(database, model, modelVersion.id, pipeline, {
            source: opts.source,
            featureMap: opts.featureMap,
            onPhase: hooks.onPhase!,
          });
          hooks.stop();
          console.log(
            `${written} predictions stored for model version ${modelVersion.version}` +
              `${kept > 0 ? ` (${kept} galaxies kept the prediction it already had)` : ""}`,
          );
          if (opts.featureMap > 0) {
            const map = await buildFeatureMap(database, modelVersion.id, features, galaxies, { onPhase: hooks.onPhase! });
            hooks.stop();
            console.log(`feature map: ${map.points} of ${map.scored} galaxies, UMAP of the ${map.dimensions} pooled features of the first network`);
          }
        }
      } finally {
        hooks.stop();
        model.dispose();
        await pipeline.close();
      }
    });
}

type OnPhase = (phase: string, done: number, total: number) => void;

/** CSV column of a class: p_round, p_in_between, p_edge_on, ... */
const column = (cls: string) => `p_${cls.replace(/-/g, "_")}`;

/**
 * Decodes the folder's images through the cutout cache code into a temporary directory (so
 * they get exactly the pixels training saw) and returns the CSV text.
 */
async function predictFolder(
  model: LoadedModel,
  pipeline: ImagePipeline,
  folder: string,
  onPhase: OnPhase,
): Promise<{ csv: string; count: number }> {
  const files = (await readdir(folder)).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).sort();
  if (files.length === 0) throw new Error(`no .jpg, .jpeg or .png images in ${folder}`);
  const scratch = await mkdtemp(join(tmpdir(), "hiwl-predict-"));
  try {
    const images = files.map((f, i) => ({ galaxyId: i, imagePath: resolve(folder, f) }));
    const cutouts = await loadExampleCutouts(images, model.metadata.inputSize, scratch, (d, t) => onPhase("decode", d, t));
    const { probabilities } = await withClassifier(model, images.length, (classifier) =>
      classifyCutouts(classifier, pipeline, cutouts, images.map((_, i) => i), {
        onProgress: (d, t) => onPhase("classify", d, t),
      }),
    );
    const lines = [
      ["id", ...model.set.classes.map(column)].join(","),
      ...files.map((f, i) => [basename(f, extname(f)), ...probabilities[i]!.map((p) => p.toFixed(6))].join(",")),
    ];
    return { csv: `${lines.join("\n")}\n`, count: files.length };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Predicts the galaxies the version has no prediction for. The rows it has stay as they are:
 * the active version's came from the scoring run that set the queue priorities and
 * retirements, with acquisition scores that the retirement rules read, and a plain one-pass
 * prediction written over them would show pages numbers that the queue did not act on. (Only
 * the active version's rows are ever shown; another version's wait for its activation, which
 * rescores every active galaxy.)
 */
async function predictDatabase(
  database: Db,
  model: LoadedModel,
  modelVersionId: number,
  pipeline: ImagePipeline,
  options: { source?: string; featureMap: number; onPhase: OnPhase },
): Promise<{ written: number; kept: number; features: Map<number, number[]>; galaxies: number }> {
  const galaxies = await listGalaxyImages(database, options.source === undefined ? {} : { source: options.source });
  const scored = new Set((await scoredGalaxies(database, modelVersionId)).map((g) => g.id));
  // The map's galaxies go through the same pass as the missing predictions, whether or not
  // they already had one.
  const embed = options.featureMap > 0 ? featureMapSample(galaxies.map((g) => g.id), { limit: options.featureMap }) : new Set<number>();
  const run = galaxies.filter((g) => !scored.has(g.id) || embed.has(g.id));
  const rows = await predictGalaxies(model, pipeline, run, { dataDir: dataDir(), acquisition: null, passes: 1, embed, onPhase: options.onPhase });
  const missing = rows.filter((r) => !scored.has(r.galaxyId));
  return {
    written: await upsertPredictions(database, modelVersionId, missing),
    kept: galaxies.length - missing.length,
    features: featuresOf(rows),
    galaxies: galaxies.length,
  };
}
