/**
 * One replica of the data-parallel trainer (replica-pool.ts), on a worker thread with a wasm
 * backend of its own. Each step it computes the gradients of its shard of the batch, writes
 * them and its batch-norm statistics into its slot of shared memory and waits at a barrier for
 * the other replicas. Then each replica adds up its own share of the parameters over every
 * slot (in slot order) into the shared sum, and after a second barrier every replica applies
 * that one sum with its own copy of the optimizer: the replicas start equal and stay equal,
 * and the adding, the one part of the exchange that grows with the network, is split between
 * them instead of repeated by each.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "@hiwl/model";
import { loadModelFromFiles } from "@hiwl/model/network";
import {
  applyWeightDecay,
  createOptimizer,
  decayedWeights,
  loadOptimizerState,
  saveOptimizerState,
  setLearningRate,
  trainingLoss,
  withMathRandom,
} from "@hiwl/model/training";
import { copyFloats } from "@hiwl/tfjs";
import { startBackend } from "../backend.ts";
import type { FromReplica, ReplicaData, ToReplica } from "./messages.ts";
import { shardBounds } from "./replica-pool.ts";

const port = parentPort!;
const post = (message: FromReplica, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const { index, workers, model: files, optimizerState, trainer } = workerData as ReplicaData;

await startBackend("wasm");
const model = await loadModelFromFiles(files);
const optimizer = createOptimizer(trainer.optimizer, trainer.learningRate);
if (optimizerState) await loadOptimizerState(optimizer, optimizerState);
const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
const decayed = decayedWeights(variables);
// Batch norm's moving means and variances: each replica's forward pass moves them by its own
// shard; after each step every replica takes their mean over the replicas.
const statistics = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
const sizeOf = (vs: readonly tf.Variable[]) => vs.reduce((n, v) => n + v.size, 0);
const parameterCount = sizeOf(variables);
const statisticCount = sizeOf(statistics);

let gradientSlots: Float32Array[] = [];
let gradientSum: Float32Array = new Float32Array(0);
let statisticSlots: Float32Array[] = [];
let barrier = new Int32Array(new SharedArrayBuffer(4));
let arrivals = 0;
// This replica's share of the parameters in the sum.
const [sumFrom, sumTo] = shardBounds(parameterCount, workers)[index]!;

/** Waits until every replica has arrived here (the counter only grows: twice a step). */
function awaitAll(): void {
  const target = workers * (arrivals + 1);
  if (Atomics.add(barrier, 0, 1) + 1 === target) Atomics.notify(barrier, 0);
  else {
    for (let seen = Atomics.load(barrier, 0); seen < target; seen = Atomics.load(barrier, 0)) Atomics.wait(barrier, 0, seen);
  }
  arrivals++;
}

/** gradientSum over this replica's share = the gradient slots added in slot order. */
function addShare(): void {
  gradientSum.set(gradientSlots[0]!.subarray(sumFrom, sumTo), sumFrom);
  for (const slot of gradientSlots.slice(1)) for (let i = sumFrom; i < sumTo; i++) gradientSum[i]! += slot[i]!;
}

/** The statistics slots' mean, added in slot order (every replica; they are few). */
function meanOf(slots: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(slots[0]!.length);
  for (const slot of slots) for (let i = 0; i < out.length; i++) out[i] = out[i]! + slot[i]!;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / slots.length;
  return out;
}

/** Synchronous copies: this thread has nothing else to do meanwhile. */
function write(values: readonly tf.Tensor[], slot: Float32Array): void {
  let offset = 0;
  for (const v of values) {
    copyFloats(v, slot, offset);
    offset += v.size;
  }
}

/** Tensors of `vs`' shapes cut from one flat array. */
function unflatten(flat: Float32Array, vs: readonly tf.Variable[]): tf.Tensor[] {
  let offset = 0;
  return vs.map((v) => {
    const t = tf.tensor(flat.subarray(offset, offset + v.size), v.shape, "float32");
    offset += v.size;
    return t;
  });
}

/**
 * Answers as soon as its loss is known, before adding up and applying the gradients: the pool
 * then sends the next shard while this step finishes, and it waits in the queue (a failure
 * after the answer fails the next request).
 */
function step(message: Extract<ToReplica, { type: "step" }>): void {
  const { images, targets, batch, learningRate, seed } = message;
  let loss = 0;
  let correct = 0;
  if (targets.length > 0) {
    const side = model.inputs[0]!.shape[1]!;
    const x = tf.tensor4d(images, [targets.length, side, side, 3]);
    const y = tf.tensor2d(targets);
    let right: tf.Tensor | undefined;
    // The shard's summed loss over the whole batch's size: the replicas' parts add up to the batch mean.
    const { value, grads } = withMathRandom(createRng(seed), () =>
      tf.variableGrads(() => {
        const forward = trainingLoss(model, x, y);
        right = forward.correct;
        return tf.div<tf.Scalar>(tf.sum(forward.perImage), batch);
      }, variables),
    );
    write(variables.map((v) => grads[v.name]!), gradientSlots[index]!);
    [loss, correct] = [value.dataSync()[0]!, right!.dataSync()[0]!];
    tf.dispose([x, y, value, right!, ...Object.values(grads)]);
  } else {
    gradientSlots[index]!.fill(0);
  }
  post({ type: "stepped", loss, correct });
  write(statistics, statisticSlots[index]!);
  awaitAll();
  addShare();
  const statisticMeans = meanOf(statisticSlots);
  // Past this barrier every replica has read the slots, which the next step may then write;
  // the sum, read below, is written again only after the next step's first barrier, which
  // every replica reaches only once done with this step.
  awaitAll();

  const gradients = unflatten(gradientSum, variables);
  setLearningRate(optimizer, learningRate);
  optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, gradients[i]!])));
  applyWeightDecay(decayed, learningRate, trainer.weightDecay);
  const means = unflatten(statisticMeans, statistics);
  statistics.forEach((v, i) => v.assign(means[i]!));
  tf.dispose([...gradients, ...means]);
}

function weights(): Float32Array {
  const all = [...variables, ...statistics];
  const values = new Float32Array(sizeOf(all));
  write(all, values);
  return values;
}

// Handled one at a time, in order: a step must not start while the optimizer's state is read.
let queue = Promise.resolve();
port.on("message", (message: ToReplica) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: ToReplica): Promise<void> {
  try {
    if (message.type === "attach") {
      gradientSlots = slots(message.gradients, parameterCount);
      gradientSum = new Float32Array(message.gradients, workers * parameterCount * 4, parameterCount);
      statisticSlots = slots(message.statistics, statisticCount);
      barrier = new Int32Array(message.barrier);
      post({ type: "attached" });
    } else if (message.type === "step") step(message);
    else if (message.type === "weights") {
      const values = weights();
      post({ type: "weights", values }, [values.buffer as ArrayBuffer]);
    } else post({ type: "optimizer-state", state: await saveOptimizerState(optimizer) });
  } catch (error) {
    post({ type: "error", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}

function slots(buffer: SharedArrayBuffer, size: number): Float32Array[] {
  return Array.from({ length: workers }, (_, w) => new Float32Array(buffer, w * size * 4, size));
}

post({ type: "ready", parameters: parameterCount, statistics: statisticCount });
