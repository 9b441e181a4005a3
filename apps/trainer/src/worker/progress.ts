/**
 * A running job's progress in TrainingJob.progress, which the researcher dashboard shows, and
 * its heartbeat: written on a timer as well as on progress, so a long step or phase without
 * callbacks does not look like a dead worker, and throttled, so a fast training loop does not
 * write the database on every step.
 */
import { updateJobProgress, type Db, type JobProgress } from "@hiwl/db";
import { TrainingInterrupted, type TrainHooks } from "../training/loop.ts";

/** What TrainingJob.progress holds (the stored contract); the dashboard lists its numbers as they are. */
export type { JobProgress };

export interface ReporterOptions {
  heartbeatMs: number;
  /** Progress is written at most this often, except for forced writes (end of an epoch, a new stage). */
  minWriteMs: number;
  log: (line: string) => void;
}

export class JobReporter {
  private progress: JobProgress = { phase: "starting" };
  private lastWrite = 0;
  private writes: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  /** Why the job must stop: the worker is shutting down, or the job is no longer this worker's. */
  private abortReason: string | null = null;

  constructor(
    private readonly db: Db,
    readonly jobId: number,
    private readonly workerId: string,
    private readonly options: ReporterOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.heartbeatMs);
    this.timer.unref();
  }

  get current(): Readonly<JobProgress> {
    return this.progress;
  }

  /** Replaces the progress; written now when `force` or when the last write is old enough. */
  set(progress: JobProgress, force = false): void {
    this.progress = progress;
    if (force || Date.now() - this.lastWrite >= this.options.minWriteMs) void this.flush();
  }

  /** Writes the current progress after any write in flight (writes never overlap or reorder). */
  flush(): Promise<void> {
    this.writes = this.writes.then(async () => {
      this.lastWrite = Date.now();
      try {
        const ours = await updateJobProgress(this.db, this.jobId, this.workerId, { ...this.progress });
        if (!ours) this.abort("interrupted: the job was taken from this worker (its heartbeat was too old)");
      } catch (error) {
        // A busy database must not kill the run: the next heartbeat tries again.
        this.options.log(`job ${this.jobId}: progress not written: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return this.writes;
  }

  /** Makes the job stop at its next progress callback. The first reason given stands. */
  abort(reason: string): void {
    this.abortReason ??= reason;
  }

  /** Throws when the job must stop; training turns this into a resumable interruption. */
  check(): void {
    if (this.abortReason !== null) throw new TrainingInterrupted(this.abortReason);
  }

  /** Stops the heartbeat after a last write of the progress. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Training callbacks that record progress and stop the run when the job must stop. */
  trainHooks(log: (line: string) => void): TrainHooks {
    return {
      log,
      onPhase: (phase, done, total) => {
        this.check();
        this.set({ ...this.progress, phase: `${phase} ${done}/${total}` });
      },
      onStep: (p) => {
        this.check();
        this.set({
          phase: `train ${p.level}`,
          level: p.level,
          epoch: p.epoch,
          epochs: p.epochs,
          loss: p.loss,
          accuracy: p.accuracy,
          imagesPerSec: p.imagesPerSec,
        });
      },
      onEpoch: (e) =>
        this.set(
          {
            phase: `train ${e.level}`,
            level: e.level,
            epoch: e.epoch,
            epochs: e.epochs,
            loss: e.trainLoss,
            accuracy: e.trainAccuracy,
            imagesPerSec: e.imagesPerSec,
            ...(e.valLoss === null ? {} : { valLoss: e.valLoss }),
            ...(e.valAccuracy === null ? {} : { valAccuracy: e.valAccuracy }),
          },
          true,
        ),
      // Checked after the epoch's checkpoint is saved, so the interrupted run resumes from it.
      stopAfterCheckpoint: () => {
        this.check();
        return false;
      },
    };
  }
}
