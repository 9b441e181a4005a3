/**
 * Grad-CAM (Selvaraju et al. 2017) for the EfficientNet networks: the gradient of a class's
 * score with respect to the last convolutional activations (EFFICIENTNET_LAYERS.lastConv),
 * averaged over space to weigh each channel, then the ReLU of the weighted channel sum. The
 * score is the class's logit, as in the paper: the softmax probability of a confident class
 * has a vanishing gradient.
 */
import type { HiwlClass } from "@hiwl/model";
import { LEVEL_CLASSES, levelTrainsOn, type HierarchyMode, type Level } from "@hiwl/model";
import { EFFICIENTNET_LAYERS } from "@hiwl/model/network";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * Which network explains a class, and the class's output there. With the hierarchy, round,
 * in-between and spiral come from level 1; cigar and edge-on from level 2, the network that
 * tells those two apart. Level 1 only has their merged class, whose map would be the same
 * for both and answer "why cigar or edge-on" rather than "why cigar".
 */
export function camTarget(mode: HierarchyMode, cls: HiwlClass): { level: Level; index: number } {
  const level: Level = mode === "flat" ? "flat" : levelTrainsOn("level2", cls) ? "level2" : "level1";
  const index = LEVEL_CLASSES[level].indexOf(cls);
  if (index < 0) throw new Error(`the ${level} network has no output for ${cls}`);
  return { level, index };
}

interface Parts {
  /** Input -> last convolutional activations [1, h, w, c]. */
  features: tfl.LayersModel;
  /** The layers between those activations and the classifier (pooling, dropout). */
  pooling: tfl.layers.Layer[];
  kernel: tf.Tensor;
  bias: tf.Tensor;
}

const parts = new WeakMap<tfl.LayersModel, Parts>();

/**
 * Splits a network at its last convolutional block. The head of EfficientNet is a chain
 * (avg_pool, top_dropout, predictions), so applying its layers in order reproduces it; the
 * final dense layer is applied without its softmax to give logits.
 */
function split(model: tfl.LayersModel): Parts {
  const cached = parts.get(model);
  if (cached) return cached;
  const lastConv = model.getLayer(EFFICIENTNET_LAYERS.lastConv);
  const head = model.layers.slice(model.layers.indexOf(lastConv) + 1);
  const classifier = head.at(-1);
  if (classifier?.name !== EFFICIENTNET_LAYERS.predictions) {
    throw new Error(`expected ${EFFICIENTNET_LAYERS.predictions} to end the network, found ${classifier?.name}`);
  }
  const [kernel, bias] = classifier.getWeights();
  if (!kernel || !bias) throw new Error(`${classifier.name} has no kernel and bias`);
  const split = {
    features: tfl.model({ inputs: model.inputs, outputs: lastConv.output }),
    pooling: head.slice(0, -1),
    kernel,
    bias,
  };
  parts.set(model, split);
  return split;
}

/** The class activation map [h, w] of one input [1, H, W, 3], scaled to a maximum of 1 (all 0 when nothing supports the class). */
export function gradCam(model: tfl.LayersModel, input: tf.Tensor4D, classIndex: number): tf.Tensor2D {
  const { features, pooling, kernel, bias } = split(model);
  return tf.tidy(() => {
    const activations = features.predict(input) as tf.Tensor4D;
    const score = (a: tf.Tensor) => {
      const pooled = pooling.reduce<tf.Tensor>((x, layer) => layer.apply(x) as tf.Tensor, a);
      return tf.sum(tf.slice(tf.add(tf.matMul(pooled as tf.Tensor2D, kernel as tf.Tensor2D), bias), [0, classIndex], [1, 1]));
    };
    const gradients = tf.grad(score)(activations);
    const weights = tf.mean(gradients, [1, 2], true);
    const cam = tf.squeeze<tf.Tensor2D>(tf.relu(tf.sum(tf.mul(activations, weights), -1)), [0]);
    return tf.divNoNan(cam, tf.max(cam));
  });
}
