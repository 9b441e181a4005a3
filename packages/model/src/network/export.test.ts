import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { HIWL_CLASSES } from "../labels/classes.ts";
import { buildEfficientNet, DropConnect } from "./efficientnet.ts";
import {
  loadModelFromFiles,
  ModelMetadataSchema,
  networkModelPath,
  serializeModel,
  WEIGHTS_FILE,
  type ModelFiles,
  type ModelMetadata,
} from "./export.ts";
import { PREPROCESSING } from "./preprocess.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("export", { timeout: 60_000 }, () => {
  it("saves a drop-connect model as model.json + weights.bin and loads it back unchanged", async () => {
    const model = buildEfficientNet({ variant: "nano", numClasses: 5, inputSize: 32, dropConnectRate: 0.5, seed: 3 });
    expect(model.layers.some((l) => l instanceof DropConnect)).toBe(true);
    const files = await serializeModel(model);
    expect(files.modelJson.format).toBe("layers-model");
    expect(files.modelJson.weightsManifest).toHaveLength(1);
    expect(files.modelJson.weightsManifest[0]!.paths).toEqual([WEIGHTS_FILE]);
    expect(files.weights.byteLength).toBe(4 * model.countParams());

    // Through text and bytes, as the files on disk would be.
    const onDisk: ModelFiles = {
      modelJson: JSON.parse(JSON.stringify(files.modelJson)) as ModelFiles["modelJson"],
      weights: new Uint8Array(files.weights),
    };
    const loaded = await loadModelFromFiles(onDisk);
    expect(loaded.layers.filter((l) => l instanceof DropConnect).map((l) => l.rate)).toEqual(
      model.layers.filter((l) => l instanceof DropConnect).map((l) => l.rate),
    );
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, "float32", 5);
    const before = (model.predict(x) as tf.Tensor).dataSync();
    const after = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  it("validates model metadata", () => {
    const metadata: ModelMetadata = {
      formatVersion: 1,
      version: "2024-01-01-b1",
      createdAt: new Date(0).toISOString(),
      classes: [...HIWL_CLASSES],
      hierarchy: "hierarchical",
      variant: "b1",
      inputSize: 240,
      preprocessing: PREPROCESSING,
      metrics: { accuracy: 0.9632, "recall.cigar": 0.8 },
      trainingData: {
        galaxies: 100,
        perClass: { round: 30, "in-between": 30, cigar: 5, "edge-on": 15, spiral: 20 },
        labelMode: "smooth",
        weightedSampling: true,
        sources: ["kaggle"],
      },
    };
    expect(ModelMetadataSchema.parse(JSON.parse(JSON.stringify(metadata)))).toEqual(metadata);
    const reordered = { ...metadata, classes: [...HIWL_CLASSES].reverse() };
    expect(ModelMetadataSchema.safeParse(reordered).success).toBe(false);
    expect(ModelMetadataSchema.safeParse({ ...metadata, variant: "b7" }).success).toBe(false);
    expect(networkModelPath("level2")).toBe("level2/model.json");
  });
});
