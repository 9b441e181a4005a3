/**
 * Model version directories under $HIWL_DATA_DIR/models/<version>/: metadata.json plus one
 * tfjs folder (model.json + weights.bin) per network, the layout the browser loads (see
 * @hiwl/model/network export.ts). Every file is written under a temporary name and renamed,
 * so a crash never leaves a half-written file where a reader expects a whole one.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type Level, classSetOf } from "@hiwl/model";
import { load, type Model } from "@hiwl/model/inference";
import { METADATA_FILE, MODEL_JSON_FILE, ModelMetadataSchema, networkModelPath, WEIGHTS_FILE, type ModelFiles, type ModelMetadata } from "@hiwl/model/network";

export function modelsDir(dataDir: string): string {
  return join(dataDir, "models");
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, data);
    await rename(`${file}.tmp`, file);
  } catch (error) {
    // Node's message names no file ("ENOSPC: no space left on device, write").
    await rm(`${file}.tmp`, { force: true }).catch(() => {});
    const { code, message } = error as NodeJS.ErrnoException;
    const why = code === "ENOSPC" ? "the disk is full" : code === "EDQUOT" ? "the disk quota is used up" : message;
    throw new Error(`cannot write ${file}: ${why}${why === message ? "" : ` (${code})`}`, { cause: error });
  }
}

export function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}

/** Writes model.json and weights.bin into `dir`, weights first so that model.json never names missing weights. */
export async function writeModelFiles(dir: string, files: ModelFiles): Promise<void> {
  await writeFileAtomic(join(dir, WEIGHTS_FILE), files.weights);
  await writeJsonAtomic(join(dir, MODEL_JSON_FILE), files.modelJson);
}

/**
 * One network's files, checked before TensorFlow.js sees them: model.json must parse and
 * weights.bin must hold exactly the float32 values its manifest lists (a truncated copy
 * otherwise fails deep inside tfjs with a message that names no file).
 */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const jsonFile = join(dir, MODEL_JSON_FILE);
  const weightsFile = join(dir, WEIGHTS_FILE);
  const modelJson = await readJson<ModelFiles["modelJson"]>(jsonFile).catch((error: Error) => {
    throw new Error(`${jsonFile} cannot be read as a model: ${error.message}`);
  });
  const weights = new Uint8Array(await readFile(weightsFile));
  const specs = (modelJson.weightsManifest ?? []).flatMap((group) => group.weights);
  const expected = specs.reduce((bytes, w) => bytes + 4 * w.shape.reduce((n, d) => n * d, 1), 0);
  if (weights.byteLength !== expected) {
    throw new Error(`${weightsFile} has ${weights.byteLength} bytes where ${MODEL_JSON_FILE} lists ${expected}: the file is truncated or belongs to another model`);
  }
  return { modelJson, weights };
}

/**
 * Creates a fresh version directory named after the time and the model, e.g.
 * "20261127-101500-nano64-hiwl"; a second run in the same second gets "-2", "-3", ...
 */
export async function createVersionDir(dataDir: string, label: string, now = new Date()): Promise<{ version: string; dir: string }> {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  await mkdir(modelsDir(dataDir), { recursive: true });
  for (let n = 1; ; n++) {
    const version = `${stamp}-${label}${n > 1 ? `-${n}` : ""}`;
    const dir = join(modelsDir(dataDir), version);
    try {
      await mkdir(dir);
      return { version, dir };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** A model version loaded from its directory: the model API plus where it came from. */
export type LoadedModel = Model & { dir: string; metadata: ModelMetadata };

export async function readModelMetadata(dir: string): Promise<ModelMetadata> {
  const parsed = ModelMetadataSchema.safeParse(await readJson(join(dir, METADATA_FILE)).catch((error: Error) => {
    throw new Error(`${dir} is not a trained model: ${error.message}`);
  }));
  if (!parsed.success) throw new Error(`${join(dir, METADATA_FILE)} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** The tfjs files of each network of a model directory, by level. */
export async function readNetworkFiles(dir: string, metadata: ModelMetadata): Promise<Partial<Record<Level, ModelFiles>>> {
  const files: Partial<Record<Level, ModelFiles>> = {};
  for (const level of classSetOf(metadata.classes).networks(metadata.hierarchy)) {
    files[level] = await readModelFiles(join(dir, dirname(networkModelPath(level))));
  }
  return files;
}

export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const metadata = await readModelMetadata(dir);
  const model = await load({ metadata, files: await readNetworkFiles(dir, metadata) });
  return { ...model, dir, metadata };
}
