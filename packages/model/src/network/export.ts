/**
 * Trained networks in TensorFlow.js's web format, without tfjs-node (whose install fails
 * here): serializeModel returns the contents of model.json and weights.bin, and the caller
 * writes them. A model version directory holds metadata.json plus one folder per network
 * (networkModelPath); the browser reads the metadata, then tf.loadLayersModel(url) for each
 * network. Importing this module registers the DropConnect layer those models contain.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { z } from "zod";
import { COARSE_CLASSES, HIWL_CLASSES } from "../labels/classes.ts";
import { EFFICIENTNET_VARIANT_NAMES } from "./efficientnet.ts";
import { HIERARCHY_MODES, type Level } from "../labels/hierarchy.ts";
import type { Preprocessing } from "./preprocess.ts";
import { CROWD_LABEL_MODES } from "../labels/targets.ts";

import { MODEL_JSON_FILE, WEIGHTS_FILE } from "./files.ts";

export { METADATA_FILE, MODEL_JSON_FILE, WEIGHTS_FILE } from "./files.ts";

/** Where a network's model.json sits relative to the model version directory, "level1/model.json". */
export function networkModelPath(level: Level): string {
  return `${level}/${MODEL_JSON_FILE}`;
}

export interface ModelFiles {
  /** The contents of model.json; its manifest names weights.bin as the single weights file. */
  modelJson: tf.io.ModelJSON;
  weights: Uint8Array;
}

export async function serializeModel(model: tfl.LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      if (!(artifacts.modelTopology && artifacts.weightSpecs && artifacts.weightData)) {
        throw new Error("model artifacts lack topology or weights");
      }
      files = {
        modelJson: {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
          ...(artifacts.trainingConfig && { trainingConfig: artifacts.trainingConfig }),
          ...(artifacts.userDefinedMetadata && { userDefinedMetadata: artifacts.userDefinedMetadata }),
        },
        weights: new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData)),
      };
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
  if (!files) throw new Error("saving the model produced no files");
  return files;
}

/** Loads serialised files held in memory (Node, tests); the browser loads from a URL instead. */
export async function loadModelFromFiles(files: ModelFiles): Promise<tfl.LayersModel> {
  const artifacts = await tf.io.getModelArtifactsForJSON(files.modelJson, (manifest) =>
    Promise.resolve([manifest.flatMap((group) => group.weights), files.weights.slice().buffer]),
  );
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}

const triple = z.tuple([z.number(), z.number(), z.number()]);
const fraction = z.number().positive().max(1);

export const PreprocessingSchema = z.object({
  trainCropRatio: fraction,
  testCropRatio: fraction,
  rotationDegrees: z.number().nonnegative(),
  cropScale: z.tuple([fraction, fraction]),
  horizontalFlip: z.boolean(),
  verticalFlip: z.boolean(),
  mean: triple,
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
}) satisfies z.ZodType<Preprocessing>;

const count = z.number().int().nonnegative();

/** Exactly these classes in this order. */
function classList<const T extends readonly [string, ...string[]]>(classes: T) {
  return z
    .array(z.enum(classes))
    .refine((c) => c.length === classes.length && c.every((cls, i) => cls === classes[i]), {
      message: `classes must be ${classes.join(", ")} in that order`,
    });
}

export const ModelMetadataSchema = z
  .object({
    formatVersion: z.literal(1),
    /** The model version's name (its directory under models/). */
    version: z.string().min(1),
    createdAt: z.iso.datetime(),
    /**
     * Output order of the probabilities: the five HIWL classes, or the three coarse ones
     * (smooth / edge-on / spiral) of a model trained on a catalogue like Galaxy Zoo 1. Code
     * that needs one of them refuses the other.
     */
    classes: z.union([classList(HIWL_CLASSES), classList(COARSE_CLASSES)], {
      error: `classes must be ${HIWL_CLASSES.join(", ")} or ${COARSE_CLASSES.join(", ")}, in that order`,
    }),
    /** "hierarchical": level1/ and level2/ networks combined by combineHierarchy; "flat": flat/. */
    hierarchy: z.enum(HIERARCHY_MODES),
    variant: z.enum(EFFICIENTNET_VARIANT_NAMES),
    inputSize: z.number().int().positive(),
    preprocessing: PreprocessingSchema,
    /**
     * Temperature scaling fitted on the validation galaxies (inference/calibration.ts): every
     * prediction's probabilities are p^(1/T), renormalised. Absent (versions before it): 1.
     */
    temperature: z.number().positive().optional(),
    /**
     * Test-time views averaged per prediction (inference/views.ts): 8, the rotations and flips
     * of the cutout (a galaxy has no up), or 1. Absent (versions before it): 1.
     */
    views: z.union([z.literal(1), z.literal(8)]).optional(),
    /** Held-out results, e.g. accuracy and per-class recall, keyed by metric name. */
    metrics: z.record(z.string(), z.number()),
    trainingData: z.object({
      galaxies: count,
      /** Training galaxies per class, keyed by the model's classes. */
      perClass: z.record(z.string(), count),
      labelMode: z.enum(CROWD_LABEL_MODES),
      weightedSampling: z.boolean(),
      /** Where the labels came from, e.g. "kaggle", "crowd". */
      sources: z.array(z.string()),
    }),
  })
  .superRefine((m, ctx) => {
    const classes: readonly string[] = m.classes;
    if (classes.length !== HIWL_CLASSES.length && m.hierarchy !== "flat") {
      ctx.addIssue({ code: "custom", path: ["hierarchy"], message: "the hierarchy splits the five HIWL classes only" });
    }
    for (const cls of Object.keys(m.trainingData.perClass)) {
      if (!classes.includes(cls)) {
        ctx.addIssue({ code: "custom", path: ["trainingData", "perClass", cls], message: `"${cls}" is not one of the model's classes` });
      }
    }
  });

export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;
