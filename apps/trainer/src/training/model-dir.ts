/**
 * Model version directories under $HIWL_DATA_DIR/models/<version>/: metadata.json plus one
 * tfjs folder (model.json + weights.bin) per network, the layout the browser loads (see
 * @hiwl/model/network export.ts). Every file is written under a temporary name and renamed,
 * so a crash never leaves a half-written file where a reader expects a whole one.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type Level, classSetOf } from "@hiwl/model";
import { load, type Model, type ViewCount } from "@hiwl/model/inference";
import { z } from "zod";
import { EFFICIENTNET_VARIANT_NAMES, METADATA_FILE, MODEL_JSON_FILE, ModelMetadataSchema, networkModelPath, WEIGHTS_FILE, type ModelFiles, type ModelMetadata } from "@hiwl/model/network";

export function modelsDir(dataDir: string): string {
  return join(dataDir, "models");
}

/** Pretrained backbones (self-supervised.ts): $HIWL_DATA_DIR/backbones/<name>/. */
export function backbonesDir(dataDir: string): string {
  return join(dataDir, "backbones");
}

/** What marks a folder as a pretrained backbone rather than a model version. */
export const BACKBONE_FILE = "backbone.json";
/** The pretrained network's model.json and weights.bin, beside backbone.json. */
export const BACKBONE_NETWORK_DIR = "network";

const BackboneMetadataSchema = z.object({
  formatVersion: z.literal(1),
  method: z.literal("simclr"),
  createdAt: z.iso.datetime(),
  variant: z.enum(EFFICIENTNET_VARIANT_NAMES),
  inputSize: z.number().int().positive(),
  /** Images it pretrained on. */
  images: z.number().int().nonnegative(),
  /** The test galaxies left out: those of this preset's split. */
  heldOut: z.object({
    preset: z.string(),
    classes: z.string(),
    source: z.string().nullable(),
    splitSeed: z.number().int(),
    galaxies: z.number().int().nonnegative(),
  }),
  settings: z.record(z.string(), z.unknown()),
  /** Per epoch: the contrastive loss and the share of views whose nearest view was their partner. */
  epochs: z.array(z.object({ epoch: z.number().int(), loss: z.number(), partnerAccuracy: z.number(), seconds: z.number() })),
});

/** backbone.json. */
export type BackboneMetadata = z.infer<typeof BackboneMetadataSchema>;

/** A pretrained backbone's metadata and network, or null for a folder that holds none. */
export async function readBackbone(dir: string): Promise<{ metadata: BackboneMetadata; files: ModelFiles } | null> {
  const file = join(dir, BACKBONE_FILE);
  if (!existsSync(file)) return null;
  const parsed = BackboneMetadataSchema.safeParse(await readJson(file));
  if (!parsed.success) throw new Error(`${file} is invalid: ${parsed.error.message}`);
  return { metadata: parsed.data, files: await readModelFiles(join(dir, BACKBONE_NETWORK_DIR)) };
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
 * Creates a fresh directory under `root` (modelsDir, backbonesDir) named after the time and the model, e.g.
 * "20261127-101500-nano64-hiwl"; a second run in the same second gets "-2", "-3", ...
 */
export async function createVersionDir(root: string, label: string, now = new Date()): Promise<{ version: string; dir: string }> {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  await mkdir(root, { recursive: true });
  for (let n = 1; ; n++) {
    const version = `${stamp}-${label}${n > 1 ? `-${n}` : ""}`;
    const dir = join(root, version);
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

/** `views`, when given, replaces the model's own test views (the temperature stays the one fitted for them). */
export async function loadModelDir(dir: string, views?: ViewCount): Promise<LoadedModel> {
  const stored = await readModelMetadata(dir);
  const metadata = views === undefined ? stored : { ...stored, views };
  const model = await load({ metadata, files: await readNetworkFiles(dir, metadata) });
  return { ...model, dir, metadata };
}
