/**
 * Training steps (and the validation pass's plain predictions) on batches handed over as plain
 * arrays (the trainer's image worker produces Float32Arrays), so callers need no tensors of
 * their own. Classifying galaxies is the model API's job (../inference/model.ts).
 *
 * The loss is HIWL's: categorical cross-entropy of the network's softmax against the
 * (possibly smoothed or crowd) target, averaged over the batch.
 *
 * Dropout and drop-connect draw their masks from tf.randomUniform without a seed, which seeds
 * itself from Math.random. A step therefore runs with Math.random replaced by the caller's
 * seeded generator: the same seed replays the same masks, so a training run is reproducible
 * on a deterministic backend (cpu, wasm). The step body is synchronous, so nothing else can
 * observe the replacement.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { Rng } from "../random.ts";
import {
  applyWeightDecay,
  createOptimizer,
  decayedWeights,
  loadOptimizerState,
  saveOptimizerState,
  setLearningRate,
  type OptimizerName,
  type OptimizerState,
} from "./optimizer.ts";

export type Network = tfl.LayersModel;

export function withMathRandom<T>(rng: Rng, run: () => T): T {
  const original = Math.random;
  Math.random = rng;
  try {
    return run();
  } finally {
    Math.random = original;
  }
}

/** [N, size, size, 3] normalised pixels as one array. */
export function imageTensor(images: Float32Array, inputSize: number): tf.Tensor4D {
  const pixels = inputSize * inputSize * 3;
  if (images.length % pixels !== 0) throw new Error(`${images.length} values are not whole ${inputSize}x${inputSize}x3 images`);
  return tf.tensor4d(images, [images.length / pixels, inputSize, inputSize, 3]);
}

/**
 * The forward pass of a training step: each image's categorical cross-entropy of the
 * network's softmax against its target, and how many images have their target's top class as
 * the network's (a kept tensor: it outlives the gradient's scope). Callers reduce the loss:
 * NetworkTrainer to the batch mean, a data-parallel replica to its share of it.
 */
export function trainingLoss(model: Network, x: tf.Tensor4D, y: tf.Tensor2D): { perImage: tf.Tensor1D; correct: tf.Scalar } {
  const probs = model.apply(x, { training: true }) as tf.Tensor2D;
  const correct = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(probs, 1), tf.argMax(y, 1)), "int32")));
  return { perImage: tfl.metrics.categoricalCrossentropy(y, probs) as tf.Tensor1D, correct };
}

/** What the steps since the last read added up to (NetworkTrainer.totals, and the trainer's ReplicaPool). */
export interface StepTotals {
  /** Sum over the images of their loss (each batch's mean loss times its size). */
  lossSum: number;
  /** Images whose target's top class is the network's top class. */
  correct: number;
  images: number;
  steps: number;
}

export interface TrainerOptions {
  optimizer: OptimizerName;
  learningRate: number;
  /** Decoupled, on the kernels (see optimizer.ts). */
  weightDecay: number;
}

/** A network with its optimizer: steps on batches and saves or restores the optimizer's state. */
export class NetworkTrainer {
  private readonly steps: OptimizerSteps;

  constructor(
    readonly model: Network,
    options: TrainerOptions,
  ) {
    this.steps = new OptimizerSteps(options, model.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /**
   * One step on `images` (N images of inputSize) with one target row per image. Nothing is
   * read back from the backend: its loss and correct count are summed where they are, and a
   * GPU goes on with this step while the host prepares the next; totals() reads the sums.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- one interface with the trainer's ReplicaPool, whose step waits for its workers
  async step(images: Float32Array, targets: readonly (readonly number[])[], learningRate: number, rng: Rng): Promise<void> {
    const size = this.model.inputs[0]!.shape[1]!;
    const x = imageTensor(images, size);
    const y = tf.tensor2d(targets as number[][]);
    this.steps.step(
      () => {
        const forward = trainingLoss(this.model, x, y);
        return { loss: tf.mean<tf.Scalar>(forward.perImage), correct: forward.correct };
      },
      targets.length,
      learningRate,
      rng,
    );
    tf.dispose([x, y]);
  }

  /** What the steps since the last call added up to (a read from the backend: it waits for them). */
  totals(): Promise<StepTotals> {
    return this.steps.read();
  }

  saveState(): Promise<OptimizerState> {
    return saveOptimizerState(this.steps.optimizer);
  }

  loadState(state: OptimizerState): Promise<void> {
    return loadOptimizerState(this.steps.optimizer, state);
  }

  /** Releases the optimizer's state; the model stays with the caller. */
  dispose(): void {
    this.steps.dispose();
  }
}

/**
 * What every trainer's step shares: an optimizer over a fixed set of variables minimises a
 * forward pass's mean loss under the caller's seeded Math.random, decoupled weight decay
 * follows, and the loss and correct count are summed on the backend since the last read, so
 * that a step reads nothing back and a GPU goes on with it while the host prepares the next.
 */
export class OptimizerSteps {
  readonly optimizer: tf.Optimizer;
  private readonly decayed: tf.Variable[];
  private lossSum: tf.Scalar | null = null;
  private correct: tf.Scalar | null = null;
  private images = 0;
  private steps = 0;

  /**
   * `variables` are passed explicitly: minimize would otherwise update every trainable
   * variable in the process, other networks' included.
   */
  constructor(
    private readonly options: TrainerOptions,
    private readonly variables: tf.Variable[],
  ) {
    this.optimizer = createOptimizer(options.optimizer, options.learningRate);
    this.decayed = decayedWeights(variables);
  }

  /**
   * One step: `forward` returns the mean loss over its `images` and their correct count (a kept
   * tensor, as the gradient's scope disposes everything else).
   */
  step(forward: () => { loss: tf.Scalar; correct: tf.Scalar }, images: number, learningRate: number, rng: Rng): void {
    let correct: tf.Scalar | undefined;
    setLearningRate(this.optimizer, learningRate);
    const loss = withMathRandom(rng, () => {
      const cost = this.optimizer.minimize(
        () => {
          const out = forward();
          correct = out.correct;
          return out.loss;
        },
        true,
        this.variables,
      )!;
      applyWeightDecay(this.decayed, learningRate, this.options.weightDecay);
      return cost;
    });
    this.lossSum = addTo(this.lossSum, tf.tidy(() => tf.mul<tf.Scalar>(loss, images)));
    loss.dispose();
    this.correct = addTo(this.correct, correct!);
    this.images += images;
    this.steps++;
  }

  /** The sums since the last read, and starts again. */
  async read(): Promise<StepTotals> {
    const { lossSum, correct, images, steps } = this;
    this.lossSum = null;
    this.correct = null;
    this.images = 0;
    this.steps = 0;
    if (lossSum === null || correct === null) return { lossSum: 0, correct: 0, images, steps };
    try {
      const [l, c] = await Promise.all([lossSum.data(), correct.data()]);
      return { lossSum: l[0]!, correct: c[0]!, images, steps };
    } finally {
      tf.dispose([lossSum, correct]);
    }
  }

  /** Releases the optimizer's state and the sums. */
  dispose(): void {
    this.optimizer.dispose();
    for (const sum of [this.lossSum, this.correct]) sum?.dispose();
  }
}

/** `value` added to `sum`, both released; `value` itself when there is no sum yet. */
function addTo(sum: tf.Scalar | null, value: tf.Scalar): tf.Scalar {
  if (sum === null) return value;
  const total = tf.add<tf.Scalar>(sum, value);
  tf.dispose([sum, value]);
  return total;
}

/** Softmax outputs of one network for N preprocessed images, one row per image. */
export async function predictRows(model: Network, images: Float32Array): Promise<number[][]> {
  const x = imageTensor(images, model.inputs[0]!.shape[1]!);
  const probs = model.predict(x) as tf.Tensor2D;
  try {
    return await probs.array();
  } finally {
    tf.dispose([x, probs]);
  }
}
