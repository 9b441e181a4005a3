/**
 * What the pools and their worker threads say to each other: the training replicas
 * (replica-pool.ts, replica-worker.ts) and the inference copies (model-pool.ts, model-worker.ts).
 */
import type { Level } from "@hiwl/model";
import type { Classification, ModelShape } from "@hiwl/model/inference";
import type { ModelFiles } from "@hiwl/model/network";
import type { OptimizerState, TrainerOptions } from "@hiwl/model/training";

export interface ReplicaData {
  index: number;
  workers: number;
  /** The network every replica starts from, and the optimizer's state to resume with. */
  model: ModelFiles;
  optimizerState: OptimizerState | null;
  trainer: TrainerOptions;
}

export type ToReplica =
  /**
   * The memory every replica writes its gradients and batch-norm statistics into, one slot
   * each (after the gradient slots, one more for their sum), and the barrier's counter.
   */
  | { type: "attach"; gradients: SharedArrayBuffer; statistics: SharedArrayBuffer; barrier: SharedArrayBuffer }
  /** One shard of a step's batch (`batch`: the whole batch's size). */
  | { type: "step"; images: Float32Array; targets: number[][]; batch: number; learningRate: number; seed: string }
  | { type: "weights" }
  | { type: "optimizer-state" };

export type FromReplica =
  | { type: "ready"; parameters: number; statistics: number }
  | { type: "attached" }
  /** The shard's summed loss over the whole batch's size, and how many of it the network got right. */
  | { type: "stepped"; loss: number; correct: number }
  | { type: "weights"; values: Float32Array }
  | { type: "optimizer-state"; state: OptimizerState }
  | { type: "error"; error: string };

export interface ModelData {
  shape: ModelShape;
  networks: Partial<Record<Level, ModelFiles>>;
}

export type ToModel = { type: "classify"; images: Float32Array; embed: boolean } | { type: "sample"; images: Float32Array; passes: number };

export type FromModel =
  | { type: "ready" }
  | { type: "classified"; classification: Classification }
  | { type: "sampled"; runs: number[][][] }
  | { type: "error"; error: string };
