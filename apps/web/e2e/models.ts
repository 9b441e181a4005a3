/**
 * Small real models for the end-to-end tests: EfficientNet-nano networks with seeded random
 * weights, saved exactly as the trainer saves a model version, and the same models evaluated
 * in the test process (tfjs cpu backend) to check the numbers the browser shows.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { HIWL_CLASSES, LEVEL_CLASSES, NETWORKS, type HierarchyMode, type Level } from "@hiwl/model";
import { buildEfficientNet, combineHierarchy, EFFICIENTNET_LAYERS, inferenceInput, loadModelFromFiles, METADATA_FILE, ModelMetadataSchema, networkModelPath, PREPROCESSING, serializeModel, WEIGHTS_FILE, type ModelMetadata, type Networks } from "@hiwl/model/network";

export interface TestModel {
  version: string;
  hierarchy: HierarchyMode;
  seed: number;
}

/** Both layouts a model version can have; the first is active when the tests start. */
export const TEST_MODELS: readonly TestModel[] = [
  { version: "e2e-hierarchical", hierarchy: "hierarchical", seed: 11 },
  { version: "e2e-flat", hierarchy: "flat", seed: 29 },
];

/** The size the trainer uses on CPU machines; at 64 px the last feature map is 2 x 2. */
const INPUT_SIZE = 64;

/**
 * Freshly initialised networks answer almost uniformly whatever the image (a 6% larger crop
 * moves the probabilities by 1e-4); classifier weights this much larger make the answer depend
 * on the pixels clearly enough (1e-2 for that crop) that a preprocessing mistake in the browser
 * would fail the 1e-3 comparison.
 */
const CLASSIFIER_GAIN = 300;

export const modelDir = (dataDir: string, version: string) => join(dataDir, "models", version);

function metadataOf(model: TestModel): ModelMetadata {
  return ModelMetadataSchema.parse({
    formatVersion: 1,
    version: model.version,
    createdAt: new Date().toISOString(),
    classes: [...HIWL_CLASSES],
    hierarchy: model.hierarchy,
    variant: "nano",
    inputSize: INPUT_SIZE,
    preprocessing: PREPROCESSING,
    metrics: { accuracy: 0.2 },
    trainingData: {
      galaxies: 0,
      perClass: { round: 0, "in-between": 0, cigar: 0, "edge-on": 0, spiral: 0 },
      labelMode: "hard",
      weightedSampling: false,
      sources: ["e2e"],
    },
  });
}

/** Writes metadata.json and one model.json + weights.bin per network under models/<version>/. */
export async function writeTestModel(dataDir: string, model: TestModel): Promise<void> {
  await tf.setBackend("cpu");
  const dir = modelDir(dataDir, model.version);
  for (const [i, level] of NETWORKS[model.hierarchy].entries()) {
    const network = buildEfficientNet({
      variant: "nano",
      numClasses: LEVEL_CLASSES[level].length,
      inputSize: INPUT_SIZE,
      seed: model.seed + 1000 * i,
    });
    const classifier = network.getLayer(EFFICIENTNET_LAYERS.predictions);
    const [kernel, bias] = classifier.getWeights();
    classifier.setWeights([tf.mul(kernel!, CLASSIFIER_GAIN), bias!]);
    await writeNetwork(dir, level, network);
  }
  await writeFile(join(dir, METADATA_FILE), JSON.stringify(metadataOf(model), null, 2));
}

/** Writes one network as the site serves it, <level>/model.json + weights.bin, and disposes it. */
export async function writeNetwork(dir: string, level: Level, network: tfl.LayersModel): Promise<void> {
  const files = await serializeModel(network);
  network.dispose();
  const modelJson = join(dir, networkModelPath(level));
  await mkdir(dirname(modelJson), { recursive: true });
  await writeFile(modelJson, JSON.stringify(files.modelJson));
  await writeFile(join(dirname(modelJson), WEIGHTS_FILE), files.weights);
}

export interface NodeClassifier {
  metadata: ModelMetadata;
  networks: Networks;
}

/** Loads a model version from disk, as the browser does from the site. */
export async function loadTestModel(dataDir: string, version: string): Promise<NodeClassifier> {
  await tf.setBackend("cpu");
  const dir = modelDir(dataDir, version);
  const metadata = ModelMetadataSchema.parse(JSON.parse(await readFile(join(dir, METADATA_FILE), "utf8")));
  const networks: Networks = {};
  for (const level of NETWORKS[metadata.hierarchy]) {
    const modelJson = join(dir, networkModelPath(level));
    networks[level] = await loadModelFromFiles({
      modelJson: JSON.parse(await readFile(modelJson, "utf8")) as tf.io.ModelJSON,
      weights: new Uint8Array(await readFile(join(dirname(modelJson), WEIGHTS_FILE))),
    });
  }
  return { metadata, networks };
}

/** Decoded RGB pixels of one image, [height, width, 3] bytes. */
export interface Pixels {
  width: number;
  height: number;
  rgb: Uint8Array;
}

const input = (model: NodeClassifier, pixels: Pixels) =>
  inferenceInput({ width: pixels.width, height: pixels.height, channels: 3, data: pixels.rgb }, model.metadata.inputSize, model.metadata.preprocessing);

/** The five probabilities in HIWL_CLASSES order. */
export function expectedProbabilities(model: NodeClassifier, pixels: Pixels): number[] {
  // Worked out here from the networks (P1, and P1(merged) x P2 for cigar and edge-on) rather than through the model API the page uses.
  const probabilities = tf.tidy(() => {
    const x = input(model, pixels);
    const { flat, level1, level2 } = model.networks;
    if (model.metadata.hierarchy === "flat") return flat!.predict(x) as tf.Tensor2D;
    return combineHierarchy(level1!.predict(x) as tf.Tensor2D, level2!.predict(x) as tf.Tensor2D);
  });
  const values = Array.from(probabilities.dataSync());
  probabilities.dispose();
  return values;
}

/**
 * Grad-CAM worked out by hand for EfficientNet's head: after global average pooling and one
 * dense layer, the gradient of a logit with respect to the last activations is that class's
 * dense weight divided by the number of cells, the same at every cell. So the map is the ReLU
 * of the activations weighted by the dense kernel's column, scaled to a maximum of 1.
 */
export function expectedCam(model: NodeClassifier, pixels: Pixels, level: Level, classIndex: number): number[] {
  const network = model.networks[level];
  if (!network) throw new Error(`no ${level} network`);
  const lastConv = network.getLayer(EFFICIENTNET_LAYERS.lastConv);
  const [kernel] = network.getLayer(EFFICIENTNET_LAYERS.predictions).getWeights();
  const features = tfl.model({ inputs: network.inputs, outputs: lastConv.output });
  const cam = tf.tidy(() => {
    const activations = features.predict(input(model, pixels)) as tf.Tensor4D;
    const column = tf.reshape(tf.slice(kernel!, [0, classIndex], [-1, 1]), [-1]);
    const map = tf.relu(tf.sum(tf.mul(activations, column), -1));
    return tf.divNoNan(map, tf.max(map));
  });
  const values = Array.from(cam.dataSync());
  cam.dispose();
  return values;
}
