/**
 * Self-supervised pretraining of a backbone by contrast (SimCLR, Chen et al. 2020): two random
 * views of each galaxy go through the backbone and a small projection head, and the loss pulls
 * each view's embedding towards its partner's and away from every other view in the batch.
 * No label is needed, so every catalogue image can teach the backbone what galaxies look like
 * before the labelled ones teach it the classes (pretraining is the project's own: no weights
 * can be downloaded). The head is thrown away afterwards, as in SimCLR; the classifier that
 * fine-tunes the backbone is new.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { EFFICIENTNET_LAYERS } from "../network/efficientnet.ts";
import type { Rng } from "../random.ts";
import { imageTensor, OptimizerSteps, type Network, type StepTotals } from "./step.ts";

/** SimCLR's projection head: pooled features -> hidden (ReLU) -> the embedding the loss compares. */
export interface ProjectionHead {
  hidden: number;
  out: number;
}

export const SIMCLR_HEAD: ProjectionHead = { hidden: 256, out: 128 };

/**
 * The normalised temperature-scaled cross-entropy (NT-Xent) of two views' embeddings, row i of
 * `a` and row i of `b` being the same image: each of the 2N embeddings must pick its partner
 * out of the other 2N - 1 by cosine similarity / temperature. Also returns how many of the 2N
 * pick their partner as the most similar (a kept tensor: the loss's gradient scope disposes
 * everything else).
 */
export function ntXentLoss(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): { loss: tf.Scalar; correct: tf.Scalar } {
  const n = a.shape[0];
  const z = tf.concat([unitRows(a), unitRows(b)], 0);
  // Similarity of an embedding to itself is masked out of the softmax.
  const logits = tf.sub(tf.div(tf.matMul(z, z, false, true), temperature), tf.mul(tf.eye(2 * n), 1e9));
  const partner = tf.concat([tf.range(n, 2 * n, 1, "int32"), tf.range(0, n, 1, "int32")]);
  const target = tf.oneHot(partner, 2 * n);
  const loss = tf.mean<tf.Scalar>(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, target), 1)));
  const correct = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), partner), "int32")));
  return { loss, correct };
}

function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, "euclidean", 1, true), 1e-12));
}

export interface ContrastiveOptions {
  learningRate: number;
  weightDecay: number;
  temperature: number;
  head?: ProjectionHead;
  /** Seeds the head's initial weights. */
  seed?: number;
}

/**
 * Trains a classifier network's backbone (everything up to its pooled features) with NT-Xent
 * through a projection head of its own, with Adam and decoupled weight decay as the
 * classifiers train. The network's own classifier takes no part and is left as it was.
 */
export class ContrastiveTrainer {
  private readonly embed: tfl.LayersModel;
  private readonly steps: OptimizerSteps;

  constructor(
    readonly network: Network,
    private readonly options: ContrastiveOptions,
  ) {
    const head = options.head ?? SIMCLR_HEAD;
    let seed = options.seed;
    const init = () => tfl.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed++ });
    const features = network.getLayer(EFFICIENTNET_LAYERS.features).output as tfl.SymbolicTensor;
    let x = tfl.layers.dense({ name: "projection_hidden", units: head.hidden, activation: "relu", kernelInitializer: init() }).apply(features);
    x = tfl.layers.dense({ name: "projection_out", units: head.out, kernelInitializer: init() }).apply(x);
    this.embed = tfl.model({ name: `${network.name}-contrastive`, inputs: network.inputs, outputs: x as tfl.SymbolicTensor });
    this.steps = new OptimizerSteps(
      { optimizer: "adam", learningRate: options.learningRate, weightDecay: options.weightDecay },
      this.embed.trainableWeights.map((w) => w.read() as tf.Variable),
    );
  }

  /** One step on two views of the same N images (each N x inputSize x inputSize x 3), in the same order. */
  step(first: Float32Array, second: Float32Array, learningRate: number, rng: Rng): void {
    const size = this.network.inputs[0]!.shape[1]!;
    const x = tf.tidy(() => tf.concat([imageTensor(first, size), imageTensor(second, size)], 0));
    const n = x.shape[0] / 2;
    this.steps.step(
      () => {
        const z = this.embed.apply(x, { training: true }) as tf.Tensor2D;
        return ntXentLoss(tf.slice(z, [0, 0], [n, -1]), tf.slice(z, [n, 0], [n, -1]), this.options.temperature);
      },
      2 * n,
      learningRate,
      rng,
    );
    x.dispose();
  }

  /** What the steps since the last call added up to, over views: the loss, and the views that picked their partner. */
  totals(): Promise<StepTotals> {
    return this.steps.read();
  }

  /** Releases the head and the optimizer; the network stays with the caller. */
  dispose(): void {
    this.steps.dispose();
    for (const name of ["projection_hidden", "projection_out"]) this.embed.getLayer(name).dispose();
  }
}
