/**
 * EfficientNet (Tan & Le 2019) in tfjs-layers, laid out like keras.applications.EfficientNet
 * (same layer names, initialisers, block ordering and stochastic-depth schedule) so parameter
 * counts can be checked against Keras and Grad-CAM code written for Keras finds its layers.
 * Unlike Keras, the model has no input rescaling/normalisation layers: preprocess.ts does
 * that once for trainer and browser, and the model takes normalised pixels.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

export interface EfficientNetVariant {
  width: number;
  depth: number;
  /** The input size the variant was designed for; buildEfficientNet uses its own default. */
  resolution: number;
  /** Dropout before the classifier. */
  dropout: number;
}

/**
 * B0-B3 from the paper; "tiny" and "nano" are scaled down so that training on a CPU backend is
 * possible at all (see PLATFORM.md's throughput table).
 */
export const EFFICIENTNET_VARIANTS = {
  b0: { width: 1.0, depth: 1.0, resolution: 224, dropout: 0.2 },
  b1: { width: 1.0, depth: 1.1, resolution: 240, dropout: 0.2 },
  b2: { width: 1.1, depth: 1.2, resolution: 260, dropout: 0.3 },
  b3: { width: 1.2, depth: 1.4, resolution: 300, dropout: 0.3 },
  tiny: { width: 0.5, depth: 0.5, resolution: 64, dropout: 0.2 },
  nano: { width: 0.25, depth: 0.34, resolution: 64, dropout: 0.2 },
} as const satisfies Record<string, EfficientNetVariant>;

export type EfficientNetVariantName = keyof typeof EFFICIENTNET_VARIANTS;
export const EFFICIENTNET_VARIANT_NAMES = Object.keys(EFFICIENTNET_VARIANTS) as EfficientNetVariantName[];

/** What the 2-core CPU machines can train; HIWL itself uses each variant's resolution (240 for B1). */
export const DEFAULT_INPUT_SIZE = 64;
export const DEFAULT_DROP_CONNECT_RATE = 0.2;

/**
 * Weight of the old value in batch norm's moving averages. 0.9 is PyTorch's momentum 0.1, what
 * HIWL trained with; Keras' 0.99 lags far behind weights that change quickly from scratch, so
 * a model validated after a few hundred steps normalised with stale statistics.
 */
export const DEFAULT_BATCH_NORM_MOMENTUM = 0.9;

/**
 * Scales the classifier's initial weights relative to Keras' (uniform, variance scale 1/3 over
 * fan-out). Keras' scale suits ImageNet features; on a network trained from scratch it gives
 * logits of several units, a saturated softmax and a first epoch spent undoing it.
 */
export const DEFAULT_CLASSIFIER_INIT_SCALE = 0.05;

/**
 * Layers other code looks up by name in a built or loaded model: Grad-CAM differentiates the
 * class score with respect to the last convolutional feature map, and the pooled features are
 * the embedding for feature-space views and acquisition functions.
 */
export const EFFICIENTNET_LAYERS = {
  lastConv: "top_activation",
  features: "avg_pool",
  predictions: "predictions",
} as const;

interface StageSpec {
  kernel: 3 | 5;
  repeats: number;
  filtersIn: number;
  filtersOut: number;
  expandRatio: number;
  stride: 1 | 2;
}

/** The B0 stages; every other variant scales filters and repeats from these. */
const B0_STAGES: readonly StageSpec[] = [
  { kernel: 3, repeats: 1, filtersIn: 32, filtersOut: 16, expandRatio: 1, stride: 1 },
  { kernel: 3, repeats: 2, filtersIn: 16, filtersOut: 24, expandRatio: 6, stride: 2 },
  { kernel: 5, repeats: 2, filtersIn: 24, filtersOut: 40, expandRatio: 6, stride: 2 },
  { kernel: 3, repeats: 3, filtersIn: 40, filtersOut: 80, expandRatio: 6, stride: 2 },
  { kernel: 5, repeats: 3, filtersIn: 80, filtersOut: 112, expandRatio: 6, stride: 1 },
  { kernel: 5, repeats: 4, filtersIn: 112, filtersOut: 192, expandRatio: 6, stride: 2 },
  { kernel: 3, repeats: 1, filtersIn: 192, filtersOut: 320, expandRatio: 6, stride: 1 },
];
const STEM_FILTERS = 32;
const HEAD_FILTERS = 1280;
const SE_RATIO = 0.25;
const FILTER_DIVISOR = 8;

/** Channels scaled by the width coefficient, kept a multiple of 8 and within 10% of the target. */
export function roundFilters(filters: number, width: number): number {
  const scaled = filters * width;
  const rounded = Math.max(FILTER_DIVISOR, Math.floor((scaled + FILTER_DIVISOR / 2) / FILTER_DIVISOR) * FILTER_DIVISOR);
  return rounded < 0.9 * scaled ? rounded + FILTER_DIVISOR : rounded;
}

export function roundRepeats(repeats: number, depth: number): number {
  return Math.ceil(depth * repeats);
}

export interface MBConvBlock {
  /** Keras-style prefix, "block2b". */
  name: string;
  kernel: 3 | 5;
  stride: 1 | 2;
  filtersIn: number;
  filtersOut: number;
  expandRatio: number;
  /** Stochastic-depth rate; meaningful only where the block has an identity skip. */
  dropRate: number;
  skip: boolean;
}

/** The MBConv blocks of a variant in order (16 for B0, 23 for B1). */
export function efficientNetBlocks(
  variant: EfficientNetVariantName,
  dropConnectRate = DEFAULT_DROP_CONNECT_RATE,
): MBConvBlock[] {
  const { width, depth } = EFFICIENTNET_VARIANTS[variant];
  const total = B0_STAGES.reduce((n, s) => n + roundRepeats(s.repeats, depth), 0);
  const blocks: MBConvBlock[] = [];
  B0_STAGES.forEach((stage, s) => {
    const repeats = roundRepeats(stage.repeats, depth);
    for (let r = 0; r < repeats; r++) {
      const filtersOut = roundFilters(stage.filtersOut, width);
      const filtersIn = r === 0 ? roundFilters(stage.filtersIn, width) : filtersOut;
      const stride = r === 0 ? stage.stride : 1;
      blocks.push({
        name: `block${s + 1}${String.fromCharCode(97 + r)}`,
        kernel: stage.kernel,
        stride,
        filtersIn,
        filtersOut,
        expandRatio: stage.expandRatio,
        // Deeper blocks are dropped more often: the rate grows linearly with the block index.
        dropRate: (dropConnectRate * blocks.length) / total,
        skip: stride === 1 && filtersIn === filtersOut,
      });
    }
  });
  return blocks;
}

export interface DropConnectArgs {
  rate: number;
  name?: string;
}

/**
 * Stochastic depth on a residual branch: in training, zero the whole branch for a random
 * subset of the batch and scale the rest by 1/(1-rate); identity at inference. A registered
 * class so that saved models load back (tf.loadLayersModel looks layers up by className).
 * The mask is deliberately unseeded: a fixed seed would drop the same samples every step.
 */
export class DropConnect extends tfl.layers.Layer {
  static readonly className = "DropConnect";
  readonly rate: number;

  constructor(args: DropConnectArgs) {
    super(args);
    this.rate = args.rate;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs["training"] !== true) return x;
    return tf.tidy(() => {
      const keep = 1 - this.rate;
      const mask = tf.floor(tf.add(tf.randomUniform([x.shape[0], 1, 1, 1]), keep));
      return tf.mul(x, tf.div(mask, keep));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(DropConnect);

export interface EfficientNetOptions {
  variant: EfficientNetVariantName;
  numClasses: number;
  inputSize?: number;
  dropConnectRate?: number;
  /** Batch norm's moving-average momentum (Keras' 0.99 is the Keras EfficientNet's). */
  batchNormMomentum?: number;
  /** Classifier init relative to Keras' (1 is Keras' and torchvision's). */
  classifierInitScale?: number;
  /** Seeds every initialiser, so the same seed builds the same weights. */
  seed?: number;
}

/** A softmax classifier: input [N, inputSize, inputSize, 3] normalised pixels, output [N, numClasses]. */
export function buildEfficientNet(options: EfficientNetOptions): tfl.LayersModel {
  const { variant, numClasses } = options;
  const inputSize = options.inputSize ?? DEFAULT_INPUT_SIZE;
  const { width, dropout } = EFFICIENTNET_VARIANTS[variant];
  const momentum = options.batchNormMomentum ?? DEFAULT_BATCH_NORM_MOMENTUM;
  const classifierScale = options.classifierInitScale ?? DEFAULT_CLASSIFIER_INIT_SCALE;
  let seed = options.seed;
  const nextSeed = () => (seed === undefined ? undefined : seed++);
  // Keras EfficientNet's initialisers: He-style fan-out normal for convolutions, a small
  // uniform for the classifier (variance scales with the square of the weights' scale).
  const convInit = () =>
    tfl.initializers.varianceScaling({ scale: 2, mode: "fanOut", distribution: "truncatedNormal", seed: nextSeed() });
  const denseInit = () =>
    tfl.initializers.varianceScaling({ scale: classifierScale ** 2 / 3, mode: "fanOut", distribution: "uniform", seed: nextSeed() });

  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
    layer.apply(x) as tfl.SymbolicTensor;
  const conv = (x: tfl.SymbolicTensor, name: string, filters: number, kernel = 1, stride = 1) =>
    apply(
      tfl.layers.conv2d({
        name,
        filters,
        kernelSize: kernel,
        strides: stride,
        padding: "same",
        useBias: false,
        kernelInitializer: convInit(),
      }),
      x,
    );
  const bn = (x: tfl.SymbolicTensor, name: string) => apply(tfl.layers.batchNormalization({ name, axis: -1, momentum }), x);
  const swish = (x: tfl.SymbolicTensor, name: string) => apply(tfl.layers.activation({ name, activation: "swish" }), x);

  const input = tfl.input({ shape: [inputSize, inputSize, 3], name: "input" });
  let x = swish(bn(conv(input, "stem_conv", roundFilters(STEM_FILTERS, width), 3, 2), "stem_bn"), "stem_activation");

  for (const block of efficientNetBlocks(variant, options.dropConnectRate)) {
    const p = `${block.name}_`;
    const blockInput = x;
    const expanded = block.filtersIn * block.expandRatio;
    if (block.expandRatio !== 1) x = swish(bn(conv(x, `${p}expand_conv`, expanded), `${p}expand_bn`), `${p}expand_activation`);
    x = apply(
      tfl.layers.depthwiseConv2d({
        name: `${p}dwconv`,
        kernelSize: block.kernel,
        strides: block.stride,
        padding: "same",
        useBias: false,
        depthwiseInitializer: convInit(),
      }),
      x,
    );
    x = swish(bn(x, `${p}bn`), `${p}activation`);

    // Squeeze-and-excitation; its bottleneck is sized from the block's input, not the expansion.
    const squeezed = Math.max(1, Math.floor(block.filtersIn * SE_RATIO));
    let se = apply(tfl.layers.globalAveragePooling2d({ name: `${p}se_squeeze` }), x);
    se = apply(tfl.layers.reshape({ name: `${p}se_reshape`, targetShape: [1, 1, expanded] }), se);
    const seConv = (name: string, filters: number, activation: "swish" | "sigmoid") =>
      tfl.layers.conv2d({ name: `${p}${name}`, filters, kernelSize: 1, activation, kernelInitializer: convInit() });
    se = apply(seConv("se_reduce", squeezed, "swish"), se);
    se = apply(seConv("se_expand", expanded, "sigmoid"), se);
    x = apply(tfl.layers.multiply({ name: `${p}se_excite` }), [x, se]);

    x = bn(conv(x, `${p}project_conv`, block.filtersOut), `${p}project_bn`);
    if (block.skip) {
      if (block.dropRate > 0) x = apply(new DropConnect({ name: `${p}drop`, rate: block.dropRate }), x);
      x = apply(tfl.layers.add({ name: `${p}add` }), [x, blockInput]);
    }
  }

  x = swish(bn(conv(x, "top_conv", roundFilters(HEAD_FILTERS, width)), "top_bn"), EFFICIENTNET_LAYERS.lastConv);
  x = apply(tfl.layers.globalAveragePooling2d({ name: EFFICIENTNET_LAYERS.features }), x);
  x = apply(tfl.layers.dropout({ name: "top_dropout", rate: dropout }), x);
  const output = apply(
    tfl.layers.dense({
      name: EFFICIENTNET_LAYERS.predictions,
      units: numClasses,
      activation: "softmax",
      kernelInitializer: denseInit(),
    }),
    x,
  );
  return tfl.model({ name: `efficientnet-${variant}`, inputs: input, outputs: output });
}

/**
 * Copies every layer's weights (batch-norm statistics included) from `source` into `target`
 * except the classifier's, so that a network trained on one set of classes starts another:
 * pretraining on the synthetic sky's classes, then fine-tuning on a catalogue's. Layers pair
 * by name, so both must be the same variant; the input size may differ (no weight depends on
 * it). Returns how many layers were copied.
 */
export function copyBackbone(target: tfl.LayersModel, source: tfl.LayersModel): number {
  const shapes = (l: tfl.layers.Layer) => l.weights.map((w) => `[${w.shape.join(",")}]`).join(" ");
  let copied = 0;
  for (const layer of target.layers) {
    if (layer.name === EFFICIENTNET_LAYERS.predictions || layer.weights.length === 0) continue;
    const from = source.layers.find((l) => l.name === layer.name);
    if (!from || shapes(from) !== shapes(layer)) {
      throw new Error(`cannot copy the backbone of ${source.name} into ${target.name}: its layer ${layer.name} ${from ? `has weights ${shapes(from)} where ${shapes(layer)} are needed` : "is missing"}`);
    }
    layer.setWeights(from.getWeights());
    copied++;
  }
  return copied;
}
