/**
 * Data-parallel training over worker threads: the wasm backend runs on one core per process
 * thread, so each core gets a replica of the network (replica-worker.ts). A step splits the
 * batch into one contiguous shard per replica; each computes its shard's gradients and the
 * replicas add them up through shared memory and apply the same optimizer step, so they stay
 * bit-identical, and a run is reproducible for a given number of replicas. Batch norm sees
 * each replica's shard only (as in multi-GPU training without synchronised batch norm); its
 * moving statistics are averaged over the replicas after every step.
 */
import { availableParallelism } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "@hiwl/model";
import type { ModelFiles } from "@hiwl/model/network";
import type { Network, OptimizerState, StepTotals, TrainerOptions } from "@hiwl/model/training";
import { WorkerChannel } from "./channel.ts";
import type { FromReplica, ReplicaData, ToReplica } from "./messages.ts";

export interface ReplicaPoolOptions {
  workers: number;
  /** The network every replica starts from. */
  model: ModelFiles;
  /** The optimizer's state to resume with (null: a fresh optimizer). */
  optimizerState?: OptimizerState | null;
  trainer: TrainerOptions;
}

/** Replicas by default: every core but one, which the image pipeline needs (at least one). */
export const defaultWorkers = (): number => Math.max(1, availableParallelism() - 1);

/** Where each replica's shard of a batch of `n` starts and ends: as equal as can be, in order. */
export function shardBounds(n: number, workers: number): [number, number][] {
  return Array.from({ length: workers }, (_, w) => [Math.floor((w * n) / workers), Math.floor(((w + 1) * n) / workers)]);
}

type Replica = WorkerChannel<ToReplica, FromReplica>;

const noSteps = (): StepTotals => ({ lossSum: 0, correct: 0, images: 0, steps: 0 });

export class ReplicaPool {
  /** Since the last totals(). */
  private sums = noSteps();

  private constructor(private readonly replicas: Replica[]) {}

  get workers(): number {
    return this.replicas.length;
  }

  /** Starts the replicas and gives them their shared memory; a replica that fails to start fails here. */
  static async start(options: ReplicaPoolOptions): Promise<ReplicaPool> {
    if (!(Number.isInteger(options.workers) && options.workers >= 1)) throw new Error(`workers must be an integer >= 1, got ${options.workers}`);
    const replicas = Array.from({ length: options.workers }, (_, index) => {
      const workerData: ReplicaData = {
        index,
        workers: options.workers,
        model: options.model,
        optimizerState: options.optimizerState ?? null,
        trainer: options.trainer,
      };
      return new WorkerChannel<ToReplica, FromReplica>(new URL("./replica-worker.ts", import.meta.url), workerData, "training replica");
    });
    const pool = new ReplicaPool(replicas);
    try {
      const ready = await Promise.all(replicas.map((r) => r.next("ready")));
      const { parameters, statistics } = ready[0]!;
      const attach: ToReplica = {
        type: "attach",
        gradients: new SharedArrayBuffer((options.workers + 1) * parameters * 4),
        statistics: new SharedArrayBuffer(options.workers * statistics * 4),
        barrier: new SharedArrayBuffer(4),
      };
      await Promise.all(replicas.map((r) => r.next("attached", attach)));
      return pool;
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  /**
   * One optimizer step on the whole batch (N images of the network's input size, one target
   * row each): the same loss and update as one replica stepping on all of it, up to the order
   * in which floating-point sums are taken. Dropout draws from a seed taken from `rng`, one
   * stream per replica.
   */
  async step(images: Float32Array, targets: readonly (readonly number[])[], learningRate: number, rng: Rng): Promise<void> {
    const n = targets.length;
    const pixels = images.length / n;
    const seed = `step:${Math.floor(rng() * 2 ** 32)}`;
    const replies = await Promise.all(
      shardBounds(n, this.workers).map(([from, to], w) => {
        const shard = images.slice(from * pixels, to * pixels);
        const message: ToReplica = { type: "step", images: shard, targets: targets.slice(from, to) as number[][], batch: n, learningRate, seed: `${seed}:${w}` };
        return this.replicas[w]!.next("stepped", message, [shard.buffer]);
      }),
    );
    for (const reply of replies) {
      this.sums.lossSum += reply.loss * n;
      this.sums.correct += reply.correct;
    }
    this.sums.images += n;
    this.sums.steps++;
  }

  /** What the steps since the last call added up to (as NetworkTrainer.totals). */
  totals(): Promise<StepTotals> {
    const sums = this.sums;
    this.sums = noSteps();
    return Promise.resolve(sums);
  }

  /** Every replica's weights (trainable, then batch-norm statistics) as one flat array each. */
  async weights(): Promise<Float32Array[]> {
    const replies = await Promise.all(this.replicas.map((r) => r.next("weights", { type: "weights" })));
    return replies.map((r) => r.values);
  }

  /** Gives `model` (the network the replicas started from) their current weights, for validation and checkpoints. */
  async copyWeightsInto(model: Network): Promise<void> {
    const reply = await this.replicas[0]!.next("weights", { type: "weights" });
    let offset = 0;
    tf.tidy(() => {
      for (const w of [...model.trainableWeights, ...model.nonTrainableWeights]) {
        const size = w.shape.reduce<number>((n, d) => n * d!, 1);
        w.write(tf.tensor(reply.values.subarray(offset, offset + size), w.shape as number[], "float32"));
        offset += size;
      }
    });
    if (offset !== reply.values.length) throw new Error(`the replicas hold ${reply.values.length} weights, the network ${offset}`);
  }

  /** The optimizer's state (every replica holds the same). */
  async saveState(): Promise<OptimizerState> {
    return (await this.replicas[0]!.next("optimizer-state", { type: "optimizer-state" })).state;
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.close()));
  }
}
