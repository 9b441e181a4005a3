import { afterAll, beforeAll } from "vitest";
import { seedSynthetic, type SeedOptions } from "@hiwl/catalog";
import type { ModelVersion } from "@hiwl/db";
import type { TestDb } from "@hiwl/db/testing";
import { ImagePipeline } from "../src/training/image-pipeline.ts";
import { trainModel } from "../src/training/train.ts";

export interface TrainedModel {
  version: ModelVersion;
  dir: string;
  pipeline: ImagePipeline;
}

/**
 * The setup of the tests that score galaxies: a synthetic catalogue, a small model trained on
 * it (nano at 32 px with HIWL's recipe, seconds on 2 cores) and an image pipeline, ready in the file's beforeAll.
 */
export function useTrainedModel(t: TestDb, catalogue: SeedOptions): TrainedModel {
  const fixture = {} as TrainedModel;
  beforeAll(async () => {
    await seedSynthetic(t.db, catalogue, t.dataDir);
    const result = await trainModel(t.db, t.dataDir, {
      preset: "paper",
      variant: "nano",
      inputSize: 32,
      batch: 8,
      epochs: 2,
      seed: 5,
      backend: "wasm",
    });
    fixture.version = result.modelVersion;
    fixture.dir = result.dir;
    fixture.pipeline = await ImagePipeline.start();
  });
  afterAll(async () => {
    await fixture.pipeline?.close();
  });
  return fixture;
}
