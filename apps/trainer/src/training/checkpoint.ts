/**
 * Crash-safe checkpoints, one per epoch, inside the run's version directory:
 *
 *   checkpoint.json          {"dir": "checkpoint-000012"}: the latest complete checkpoint
 *   checkpoint-000012/
 *     state.json             per-network progress, learning curves, best epochs
 *     best-<level>/          the best weights so far of every network trained or in training
 *     current/               the network in training: its weights, optimizer.json + optimizer.bin
 *     current-averaged/      its averaged weights, when the run averages them (TrainConfig.emaDecay)
 *
 * A checkpoint is written under a temporary directory name and renamed when complete; only
 * then does checkpoint.json (itself renamed into place) point at it, and older checkpoints are
 * removed. A crash at any moment leaves the previous checkpoint intact and pointed to.
 * Together with per-epoch seeds (loop.ts) this is all a resumed run needs to continue exactly
 * as the uninterrupted run would have.
 */
import { existsSync } from "node:fs";
import { readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Level } from "@hiwl/model";
import type { ModelFiles } from "@hiwl/model/network";
import type { OptimizerState } from "@hiwl/model/training";
import type { BestEpoch, EpochRecord, StopReason } from "@hiwl/db";
import { readJson, readModelFiles, writeFileAtomic, writeJsonAtomic, writeModelFiles } from "./model-dir.ts";

// Stored in ModelVersion.metrics as well as here: the stored contract's shapes.
export type { BestEpoch, EpochRecord, StopReason };

export interface NetworkProgress {
  level: Level;
  epochsDone: number;
  history: EpochRecord[];
  best: BestEpoch | null;
  /** Set once the network has finished training. */
  stopped: StopReason | null;
}

export interface EpochTiming {
  level: Level;
  epoch: number;
  /** Training and validation. */
  seconds: number;
  /** Training images per second. */
  imagesPerSec: number;
}

export interface TrainingState {
  /** In training order. */
  networks: NetworkProgress[];
  /** Kept apart from the learning curves: the only part of a run that a seed does not replay. */
  timing: EpochTiming[];
}

/** What a network in training continues from. */
export interface NetworkState {
  model: ModelFiles;
  optimizer: OptimizerState;
  /** The averaged weights (TrainConfig.emaDecay), once an epoch has made them. */
  averaged: ModelFiles | null;
}

export interface Checkpoint {
  state: TrainingState;
  best: Partial<Record<Level, ModelFiles>>;
  /** The network in training, absent once all have finished. */
  current: NetworkState | null;
}

const POINTER = "checkpoint.json";
const STATE = "state.json";
const OPTIMIZER_SPECS = "optimizer.json";
const OPTIMIZER_DATA = "optimizer.bin";
const AVERAGED = "current-averaged";

const checkpointName = (n: number) => `checkpoint-${String(n).padStart(6, "0")}`;

export async function saveCheckpoint(runDir: string, checkpoint: Checkpoint): Promise<void> {
  const previous = await readPointer(runDir);
  const name = checkpointName(previous === null ? 1 : Number(previous.split("-")[1]) + 1);
  const tmp = join(runDir, `${name}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await writeJsonAtomic(join(tmp, STATE), checkpoint.state);
  for (const [level, files] of Object.entries(checkpoint.best)) await writeModelFiles(join(tmp, `best-${level}`), files);
  if (checkpoint.current) {
    await writeModelFiles(join(tmp, "current"), checkpoint.current.model);
    await writeFileAtomic(join(tmp, "current", OPTIMIZER_DATA), checkpoint.current.optimizer.data);
    await writeJsonAtomic(join(tmp, "current", OPTIMIZER_SPECS), checkpoint.current.optimizer.specs);
    if (checkpoint.current.averaged) await writeModelFiles(join(tmp, AVERAGED), checkpoint.current.averaged);
  }
  await rename(tmp, join(runDir, name));
  await writeJsonAtomic(join(runDir, POINTER), { dir: name });
  await removeCheckpoints(runDir, name);
}

export async function loadCheckpoint(runDir: string): Promise<Checkpoint | null> {
  const name = await readPointer(runDir);
  if (name === null) return null;
  const dir = join(runDir, name);
  const state = await readJson<TrainingState>(join(dir, STATE));
  const best: Checkpoint["best"] = {};
  for (const network of state.networks) {
    if (network.best) best[network.level] = await readModelFiles(join(dir, `best-${network.level}`));
  }
  const inTraining = state.networks.some((n) => n.stopped === null);
  const current = inTraining
    ? {
        model: await readModelFiles(join(dir, "current")),
        optimizer: {
          specs: await readJson<OptimizerState["specs"]>(join(dir, "current", OPTIMIZER_SPECS)),
          data: new Uint8Array(await readFile(join(dir, "current", OPTIMIZER_DATA))),
        },
        averaged: existsSync(join(dir, AVERAGED)) ? await readModelFiles(join(dir, AVERAGED)) : null,
      }
    : null;
  return { state, best, current };
}

/** Removes every checkpoint (and the pointer) except `keep`. */
export async function removeCheckpoints(runDir: string, keep?: string): Promise<void> {
  if (keep === undefined) await rm(join(runDir, POINTER), { force: true });
  for (const entry of await readdir(runDir)) {
    if (entry.startsWith("checkpoint-") && entry !== keep) await rm(join(runDir, entry), { recursive: true, force: true });
  }
}

async function readPointer(runDir: string): Promise<string | null> {
  try {
    return (await readJson<{ dir: string }>(join(runDir, POINTER))).dir;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
