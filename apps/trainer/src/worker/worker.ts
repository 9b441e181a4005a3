/**
 * The training worker behind `hiwl watch`: runs queued TrainingJobs one at a time and queues
 * its own after enough new classifications or on a schedule.
 *
 * A job trains a model version and registers it inactive, then follows the activation policy
 * that `hiwl train` follows too (training/activation.ts): the new version becomes active only if
 * it classifies its held-out galaxies at least as well as the active one, and only once it has
 * scored every active galaxy for the active-learning queue (the switch, the priorities and the
 * retirements are one transaction; until then the previous model keeps serving). An activated
 * version then maps its galaxies' features for the dashboard.
 * Progress and a heartbeat go to the job's row throughout; a worker that dies leaves a job
 * whose heartbeat stops, and the next worker to start (or any running one, periodically)
 * fails it.
 */
import {
  claimNextJob,
  countClassificationsAfter,
  failStaleJobs,
  finishJob,
  hasPendingJob,
  getActiveModelVersion,
  latestClassificationId,
  listJobs,
  queueTrainingJob,
  recordWorkerHeartbeat,
  recordWorkerStopped,
  refreshVolunteerSkills,
  trainingJobConfigOf,
  type Db,
  type ModelVersion,
  type TrainingJob,
} from "@hiwl/db";
import type { BackendChoice } from "@hiwl/tfjs";
import {
  ActivationError,
  applyActivationPolicy,
  type ActivationDecision,
  type ActivationStep,
} from "../training/activation.ts";
import type { TrainConfigInput } from "../training/config.ts";
import { ImagePipeline } from "../training/image-pipeline.ts";
import { PRESETS } from "../training/presets.ts";
import { trainModel, type TrainResult } from "../training/train.ts";
import { buildFeatureMap, type FeatureMapSample, type FeatureMapSummary } from "./feature-map.ts";
import { JobReporter } from "./progress.ts";
import { checkPasses, type ScoreSummary, type ScoringSettings } from "./scoring.ts";

export interface WorkerOptions {
  workerId: string;
  dataDir: string;
  /** Training settings of every job; a job's config overrides them. */
  training: TrainConfigInput & { backend?: BackendChoice };
  scoring: ScoringSettings;
  /** The new model's feature map, from its scoring pass (absent: the defaults; null: none). */
  featureMap?: FeatureMapSample | null;
  /** Queue a job once this many classifications arrived since the last one started (null: never). */
  every: number | null;
  /** Queue a job when the newest job is this many minutes old (null: never). */
  intervalMinutes: number | null;
  /**
   * Queue a job at once when there is no model and this worker has not queued or seen one
   * since it started, so that a fresh installation (or one whose first training was
   * interrupted) gets a model without waiting for `every` classifications. Once per start: a
   * training that fails is not retried in a loop.
   */
  firstModel?: boolean;
  /** How long to wait for work when there is none. */
  pollMs?: number;
  heartbeatMs?: number;
  /** A running job whose heartbeat is older than this is failed: its worker is gone. */
  staleAfterMs?: number;
  log?: (line: string) => void;
  /** Awaited at each step of a job. */
  onEvent?: (event: WorkerEvent) => void | Promise<void>;
}

export type WorkerEvent =
  | { type: "stale"; count: number }
  | { type: "queued"; job: TrainingJob }
  | { type: "claimed"; job: TrainingJob }
  | { type: "trained"; job: TrainingJob; result: TrainResult }
  /** The activation policy's steps: "decided", then, when activating, "scored" (not yet in effect). */
  | (ActivationStep & { job: TrainingJob })
  | { type: "activated"; job: TrainingJob; modelVersion: ModelVersion }
  | { type: "finished"; outcome: JobOutcome };

export type JobOutcome =
  | {
      job: TrainingJob;
      status: "succeeded";
      /** The version the job trained: active when `activation.activate`, else registered only. */
      modelVersion: ModelVersion;
      activation: ActivationDecision;
      /** The scoring run and feature map of an activated version (null when it stayed inactive). */
      scoring: ScoreSummary | null;
      featureMap: FeatureMapSummary | null;
    }
  | { job: TrainingJob; status: "failed"; error: string };

/** What a job's config may set: the training settings (TrainConfigInput), its preset included. */
const JOB_OPTIONS: ReadonlySet<string> = new Set(["preset", ...Object.keys(PRESETS.worker.training)]);

export class TrainingWorker {
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly log: (line: string) => void;
  /** Classifications up to this id are in the last job this worker queued or started. */
  private mark = 0;
  private lastStaleCheck = 0;
  /** Without an active model, a job older than this worker (one before a restart) does not stop a new first-model job. */
  private readonly startedAt = new Date();
  private current: JobReporter | null = null;
  private stopReason: string | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly db: Db,
    private readonly options: WorkerOptions,
  ) {
    if (options.every !== null && !(Number.isInteger(options.every) && options.every >= 1)) {
      throw new Error(`every must be a positive integer or null, got ${options.every}`);
    }
    if (options.intervalMinutes !== null && !(options.intervalMinutes > 0)) {
      throw new Error(`the interval must be positive minutes or null, got ${options.intervalMinutes}`);
    }
    // Here rather than after a whole training run.
    checkPasses(options.scoring.acquisition, options.scoring.passes);
    this.pollMs = options.pollMs ?? 5_000;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.staleAfterMs = options.staleAfterMs ?? 120_000;
    if (this.heartbeatMs * 2 > this.staleAfterMs) {
      throw new Error(`the heartbeat (${this.heartbeatMs} ms) must be under half the stale limit (${this.staleAfterMs} ms)`);
    }
    this.log = options.log ?? (() => {});
  }

  /** Fails the jobs that dead workers left running and starts counting new classifications. */
  async start(): Promise<void> {
    await this.failStale(true);
    this.mark = await latestClassificationId(this.db);
  }

  /**
   * Works until stop(): start(), then tick() whenever there may be work, with a heartbeat that
   * /api/health reads (every heartbeatMs, jobs or not), marked stopped at the end.
   */
  async run(): Promise<void> {
    await this.start();
    await this.beat();
    const heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    try {
      await this.loop();
    } finally {
      clearInterval(heartbeat);
      // Best effort: the database may be what stopped the worker.
      await recordWorkerStopped(this.db, this.options.workerId).catch(() => {});
    }
  }

  /** The worker's heartbeat with what it does ("idle", "job 12"); a failed write is logged, not thrown. */
  private beat(): Promise<unknown> {
    const { workerId } = this.options;
    const state = this.current ? `job ${this.current.jobId}` : "idle";
    return recordWorkerHeartbeat(this.db, workerId, state, this.startedAt).catch((error: unknown) =>
      this.log(`worker ${workerId}: heartbeat not recorded: ${message(error)}`),
    );
  }

  private async loop(): Promise<void> {
    while (this.stopReason === null) {
      let worked = false;
      try {
        worked = (await this.tick()) !== null;
      } catch (error) {
        this.log(`worker ${this.options.workerId}: ${message(error)}`);
      }
      if (worked || this.stopReason !== null) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /**
   * Ends run() after the current job, which stops at its next progress callback and is failed
   * with `reason` (its last checkpoint stays, for `hiwl train --resume`).
   */
  stop(reason: string): void {
    this.stopReason ??= reason;
    this.current?.abort(`interrupted: ${reason}`);
    this.wake?.();
  }

  /** One round of upkeep, then the next queued job if there is one. */
  async tick(): Promise<JobOutcome | null> {
    await this.failStale(false);
    await this.autoQueue();
    return this.runNextJob();
  }

  /**
   * Queues a job for the first model, when enough classifications arrived or when the schedule
   * says so, unless one is pending.
   */
  async autoQueue(): Promise<TrainingJob | null> {
    const { every, intervalMinutes, firstModel } = this.options;
    if ((every === null && intervalMinutes === null && !firstModel) || (await hasPendingJob(this.db))) return null;
    let reason: string | null = null;
    if (firstModel && !(await getActiveModelVersion(this.db))) {
      const [newest] = await listJobs(this.db, { take: 1 });
      if (!newest || newest.createdAt < this.startedAt) reason = "no model yet";
    }
    if (reason === null && every !== null) {
      const n = await countClassificationsAfter(this.db, this.mark);
      if (n >= every) reason = `${n} new classifications`;
    }
    if (reason === null && intervalMinutes !== null) {
      const [newest] = await listJobs(this.db, { take: 1 });
      if (!newest) reason = "schedule: no model trained yet";
      else if (Date.now() - newest.createdAt.getTime() >= intervalMinutes * 60_000) reason = `schedule: every ${intervalMinutes} min`;
    }
    if (reason === null) return null;
    this.mark = await latestClassificationId(this.db);
    const job = await queueTrainingJob(this.db, {}, { reason: `${reason} (hiwl watch)` });
    await this.emit({ type: "queued", job });
    return job;
  }

  /** Claims the oldest queued job (no other worker gets it) and runs it. */
  async runNextJob(): Promise<JobOutcome | null> {
    if (this.stopReason !== null) return null;
    const job = await claimNextJob(this.db, this.options.workerId);
    if (!job) return null;
    this.mark = await latestClassificationId(this.db);
    return this.runJob(job);
  }

  private async failStale(now: boolean): Promise<void> {
    if (!now && Date.now() - this.lastStaleCheck < this.staleAfterMs / 2) return;
    this.lastStaleCheck = Date.now();
    const count = await failStaleJobs(this.db, this.staleAfterMs);
    if (count > 0) await this.emit({ type: "stale", count });
  }

  private async runJob(job: TrainingJob): Promise<JobOutcome> {
    const { db } = this;
    const { workerId, dataDir } = this.options;
    const reporter = new JobReporter(db, job.id, workerId, { heartbeatMs: this.heartbeatMs, minWriteMs: 1_000, log: this.log });
    this.current = reporter;
    await this.beat();
    if (this.stopReason !== null) reporter.abort(`interrupted: ${this.stopReason}`);
    let stage = "training";
    let pipeline: ImagePipeline | null = null;
    let outcome: JobOutcome;
    try {
      await this.emit({ type: "claimed", job });
      // The skills researchers read are the estimate this job's vote fractions are weighted by.
      stage = "estimating the volunteers' skills";
      const skills = await refreshVolunteerSkills(db);
      this.log(`job ${job.id}: skills of ${skills.volunteers} volunteers estimated`);
      stage = "training";
      const result = await trainModel(
        db,
        dataDir,
        { ...this.options.training, ...jobTraining(job), trainingJobId: job.id },
        reporter.trainHooks((line) => this.log(`job ${job.id}: ${line}`)),
      );
      reporter.set({ ...reporter.current, phase: "verify", version: result.version }, true);
      await this.emit({ type: "trained", job, result });

      const onPhase = (phase: string, done: number, total: number) => {
        reporter.check();
        reporter.set({ ...reporter.current, phase: `${phase} ${done}/${total}` });
      };
      stage = `deciding on ${result.version}`;
      pipeline = await ImagePipeline.start();
      reporter.check();
      const mapOptions = this.options.featureMap === undefined ? {} : this.options.featureMap;
      const { decision, modelVersion, scoring, features } = await applyActivationPolicy(db, result, {
        dataDir,
        pipeline,
        scoring: { ...this.options.scoring, featureMap: mapOptions },
        onPhase,
        log: (line) => this.log(`job ${job.id}: ${line}`),
        onStep: (step) => this.emit({ ...step, job }),
      });
      let featureMap: FeatureMapSummary | null = null;
      if (modelVersion.active) {
        await this.emit({ type: "activated", job, modelVersion });
        stage = `mapping the features of ${result.version}`;
        if (mapOptions !== null && features && scoring) {
          featureMap = await buildFeatureMap(db, modelVersion.id, features, scoring.scored, { seed: mapOptions.seed, onPhase });
        }
      }
      reporter.set({ ...reporter.current, phase: "done" }, true);
      await reporter.close();
      outcome = { job, status: "succeeded", modelVersion, activation: decision, scoring, featureMap };
      if (!(await finishJob(db, job.id, workerId, { status: "succeeded" }))) {
        this.log(`job ${job.id}: finished, but it was no longer this worker's job (taken for a stale heartbeat)`);
      }
    } catch (error) {
      // The activation policy names its own failed step.
      const text = error instanceof ActivationError ? error.message : `${stage} failed: ${message(error)}`;
      reporter.set({ ...reporter.current, phase: "failed" }, true);
      await reporter.close();
      outcome = { job, status: "failed", error: text };
      await finishJob(db, job.id, workerId, { status: "failed", error: text });
    } finally {
      this.current = null;
      await pipeline?.close();
    }
    await this.beat();
    await this.emit({ type: "finished", outcome });
    return outcome;
  }

  private async emit(event: WorkerEvent): Promise<void> {
    await this.options.onEvent?.(event);
  }
}

/** The training settings a job's config sets; unknown keys fail the job rather than being ignored. */
function jobTraining(job: TrainingJob): TrainConfigInput {
  const config = trainingJobConfigOf(job);
  const unknown = Object.keys(config).filter((key) => !JOB_OPTIONS.has(key));
  if (unknown.length > 0) throw new Error(`unknown training option(s) in the job config: ${unknown.join(", ")}`);
  // Known names only; resolveTrainConfig checks each value and fails the job on a bad one.
  return config;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
