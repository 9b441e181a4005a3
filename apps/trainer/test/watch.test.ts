import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { seedSynthetic } from "@hiwl/catalog";
import {
  activateModelVersion,
  claimNextJob,
  createModelVersion,
  ensureVolunteer,
  finishJob,
  queueTrainingJob,
  submitClassification,
  type ModelVersion,
  type TrainingJob,
} from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { METADATA_FILE, networkModelPath, WEIGHTS_FILE } from "@hiwl/model/network";
import type { JobProgress } from "../src/worker/progress.ts";
import { TrainingWorker, type JobOutcome, type WorkerEvent, type WorkerOptions } from "../src/worker/worker.ts";

const t = useTestDb();
const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));

function worker(workerId: string, options: Partial<WorkerOptions> = {}): TrainingWorker {
  return new TrainingWorker(t.db, {
    workerId,
    dataDir: t.dataDir,
    // Small enough for a 2-core machine: nano at 32 px, a second per epoch. One epoch leaves
    // the batch-norm statistics unsettled (non-finite outputs); two do not.
    training: { variant: "nano", inputSize: 32, batch: 8, epochs: 2, seed: 5, backend: "wasm" },
    scoring: { acquisition: "bald", passes: 2 },
    every: null,
    intervalMinutes: null,
    heartbeatMs: 100,
    ...options,
  });
}

const job = (id: number) => t.db.trainingJob.findUniqueOrThrow({ where: { id } });
const activeVersions = () => t.db.modelVersion.findMany({ where: { active: true } });
const progressOf = (row: TrainingJob) => JSON.parse(row.progress ?? "{}") as JobProgress;
const MINUTE = 60_000;

beforeAll(async () => {
  // Catalogue labels for all 60, votes for half of them.
  await seedSynthetic(t.db, { count: 60, votes: 3, votedFraction: 0.5, seed: "watch", crowd: 10 }, t.dataDir);
});

describe("running jobs", () => {
  let trained: ModelVersion;

  it("runs a queued job on exactly one of two workers, with progress, and switches models only once the new one is verified", async () => {
    // A version that stands for the model serving while the job trains.
    const old = await createModelVersion(t.db, { version: "serving", path: join(t.dataDir, "models", "serving"), config: {}, metrics: {} });
    await activateModelVersion(t.db, old.id);
    const queued = await queueTrainingJob(t.db, {}, { reason: "test" });

    const seen: { event: WorkerEvent["type"]; active: string[]; row: TrainingJob }[] = [];
    const onEvent = async (event: WorkerEvent) => {
      seen.push({ event: event.type, active: (await activeVersions()).map((v) => v.version), row: await job(queued.id) });
    };
    const [a, b] = await Promise.all([worker("a", { onEvent }).runNextJob(), worker("b", { onEvent }).runNextJob()]);
    const outcomes = [a, b].filter((o): o is JobOutcome => o !== null);
    expect(outcomes).toHaveLength(1);
    const outcome = outcomes[0]!;
    if (outcome.status !== "succeeded") throw new Error(outcome.error);
    const runner = a === null ? "b" : "a";

    expect(seen.map((s) => s.event)).toEqual(["claimed", "trained", "activated", "finished"]);
    const whileTraining = seen.find((s) => s.event === "trained")!;
    expect(whileTraining.active).toEqual(["serving"]);
    expect(whileTraining.row).toMatchObject({ status: "running", workerId: runner });
    const progress = progressOf(whileTraining.row);
    expect(progress).toMatchObject({ epoch: 2, epochs: 2, level: "level2" });
    expect(progress.loss).toBeGreaterThan(0);
    expect(Number.isFinite(progress.loss)).toBe(true);
    expect(progress.accuracy).toBeGreaterThanOrEqual(0);
    expect(progress.accuracy).toBeLessThanOrEqual(1);
    expect(progress.imagesPerSec).toBeGreaterThan(0);
    expect(whileTraining.row.heartbeatAt!.getTime()).toBeGreaterThan(whileTraining.row.startedAt!.getTime());
    expect(seen.find((s) => s.event === "activated")!.active).toEqual([outcome.modelVersion.version]);

    const done = await job(queued.id);
    expect(done).toMatchObject({ status: "succeeded", workerId: runner, error: null });
    expect(progressOf(done).phase).toBe("done");
    trained = outcome.modelVersion;
    expect(trained.trainingJobId).toBe(queued.id);
    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
    // Scoring ran with the new model: every galaxy was active, so every one has a prediction.
    expect(outcome.scoring.scored).toBe(60);
    expect(await t.db.prediction.count({ where: { modelVersionId: trained.id, acquisition: { not: null } } })).toBe(60);
    // Then mapped their features for the dashboard.
    expect(outcome.featureMap).toMatchObject({ points: 60, scored: 60, level: "level1" });
    expect(await t.db.featurePoint.count({ where: { modelVersionId: trained.id } })).toBe(60);
  });

  it("keeps the active model when the new one fails verification", async () => {
    const queued = await queueTrainingJob(t.db, {});
    const onEvent = async (event: WorkerEvent) => {
      if (event.type !== "trained") return;
      // NaN in every weight: the files load, but the model outputs NaN.
      const file = join(event.result.dir, networkModelPath("level1"), "..", WEIGHTS_FILE);
      const size = (await readFile(file)).length;
      await writeFile(file, new Uint8Array(new Float32Array(size / 4).fill(Number.NaN).buffer));
    };
    const outcome = await worker("a", { onEvent }).runNextJob();
    expect(outcome?.status).toBe("failed");
    const row = await job(queued.id);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/^verifying \S+ failed: the reloaded model gives invalid probabilities for galaxy \d+: \[NaN/);
    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
    const rejected = await t.db.modelVersion.findUniqueOrThrow({ where: { trainingJobId: queued.id } });
    expect(rejected.active).toBe(false);
    expect(await t.db.prediction.count({ where: { modelVersionId: rejected.id } })).toBe(0);
  });

  it("fails a job whose settings are invalid, with the reason", async () => {
    const bad = await queueTrainingJob(t.db, { epochs: 0 });
    const unknown = await queueTrainingJob(t.db, { epochz: 3 });
    const w = worker("a");
    expect((await w.runNextJob())?.status).toBe("failed");
    expect((await w.runNextJob())?.status).toBe("failed");
    expect((await job(bad.id)).error).toMatch(/^training failed: invalid training options: epochs must be an integer >= 1/);
    expect((await job(unknown.id)).error).toBe("training failed: unknown training option(s) in the job config: epochz");
    expect(await w.runNextJob()).toBeNull();
    // Caught when the worker starts, not after a training run.
    expect(() => worker("b", { scoring: { acquisition: "bald", passes: 1 } })).toThrow("BALD needs at least 2 passes");
  });

  it("on stop, fails the running job with the reason and keeps its checkpoint for --resume", async () => {
    const queued = await queueTrainingJob(t.db, {});
    const w = worker("a", {
      // Stop once level 1 has trained and checkpointed, while level 2 starts.
      log: (line) => {
        if (line.includes(": level2:")) w.stop("the worker was stopped (SIGTERM)");
      },
    });
    const outcome = await w.runNextJob();
    expect(outcome?.status).toBe("failed");
    const row = await job(queued.id);
    const match = /^training failed: (\S+) interrupted: the worker was stopped \(SIGTERM\); continue it with --resume (\S+)$/.exec(row.error ?? "");
    expect(match, row.error ?? "").not.toBeNull();
    expect(match![1]).toBe(match![2]);
    const dir = join(t.dataDir, "models", match![1]!);
    expect(existsSync(join(dir, "checkpoint.json"))).toBe(true);
    expect(existsSync(join(dir, METADATA_FILE))).toBe(false);
    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
    // A stopped worker takes no more jobs.
    await queueTrainingJob(t.db, {});
    expect(await w.runNextJob()).toBeNull();
    await t.db.trainingJob.deleteMany({ where: { status: "queued" } });
  });
});

describe("hiwl watch", () => {
  it("runs a queued job with the job's settings and, on SIGTERM, fails it and exits", async () => {
    const queued = await queueTrainingJob(t.db, { epochs: 50 });
    const args = ["watch", "--every", "0", "--variant", "nano", "--input-size", "32", "--batch", "8", "--backend", "wasm"];
    const child = spawn(process.execPath, [HIWL, ...args, "--poll", "0.2", "--worker-id", "cli"], {
      env: { ...process.env, HIWL_DATA_DIR: t.dataDir },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = once(child, "exit");
    let row = await job(queued.id);
    for (const deadline = Date.now() + 60_000; progressOf(row).epoch === undefined && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      row = await job(queued.id);
    }
    expect(row).toMatchObject({ status: "running", workerId: "cli" });
    expect(progressOf(row).epochs).toBe(50);
    child.kill("SIGTERM");
    expect(await exited).toEqual([0, null]);
    expect((await job(queued.id)).error).toMatch(/^training failed: \S+ interrupted: the worker was stopped \(SIGTERM\); continue it with --resume/);
    expect(stdout).toContain(`job ${queued.id}: started`);
    expect(stdout).toContain(`job ${queued.id}: failed: training failed:`);
  });
});

describe("dead workers", () => {
  it("fails a job whose worker stopped sending heartbeats when the next worker starts; a live one stays running", async () => {
    const dead = await queueTrainingJob(t.db, {});
    await claimNextJob(t.db, "killed");
    await t.db.trainingJob.update({ where: { id: dead.id }, data: { heartbeatAt: new Date(Date.now() - 10 * MINUTE) } });
    const live = await queueTrainingJob(t.db, {});
    await claimNextJob(t.db, "alive");

    const events: WorkerEvent[] = [];
    await worker("next", { staleAfterMs: 2 * MINUTE, onEvent: (e) => void events.push(e) }).start();
    expect(await job(dead.id)).toMatchObject({ status: "failed", error: "no heartbeat from the worker for over 120 s" });
    expect((await job(dead.id)).finishedAt).not.toBeNull();
    expect(await job(live.id)).toMatchObject({ status: "running", workerId: "alive" });
    expect(events).toEqual([{ type: "stale", count: 1 }]);
    await finishJob(t.db, live.id, "alive", { status: "failed", error: "test over" });
  });
});

describe("queueing by itself", () => {
  const classify = async (galaxyIds: number[]) => {
    await ensureVolunteer(t.db, "volunteer-q");
    for (const galaxyId of galaxyIds) {
      await submitClassification(t.db, {
        volunteerId: "volunteer-q",
        galaxyId,
        answers: ["1.1", "7.1", "6.2"],
        startedAt: new Date(),
        finishedAt: new Date(),
      });
    }
  };

  it("queues a job after every N new classifications, never while one is pending", async () => {
    const ids = (await t.db.galaxy.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((g) => g.id);
    const events: WorkerEvent[] = [];
    const w = worker("auto", { every: 3, onEvent: (e) => void events.push(e) });
    await w.start();
    await classify(ids.slice(0, 2));
    expect(await w.autoQueue()).toBeNull();
    await classify(ids.slice(2, 3));
    const queued = await w.autoQueue();
    expect(queued).toMatchObject({ status: "queued", reason: "3 new classifications (hiwl watch)", config: "{}" });
    expect(events).toEqual([{ type: "queued", job: queued }]);
    await classify(ids.slice(3, 6));
    expect(await w.autoQueue()).toBeNull();

    await claimNextJob(t.db, "elsewhere");
    await finishJob(t.db, queued!.id, "elsewhere", { status: "failed", error: "test over" });
    // The 3 classifications that arrived while it was pending are counted from when it was queued.
    expect(await w.autoQueue()).toMatchObject({ reason: "3 new classifications (hiwl watch)" });
    await t.db.trainingJob.deleteMany({ where: { status: "queued" } });
    expect(await w.autoQueue()).toBeNull();
  });

  it("queues a job when the newest one is older than the interval", async () => {
    const w = worker("scheduled", { intervalMinutes: 5 });
    await w.start();
    expect(await w.autoQueue()).toBeNull();
    await t.db.trainingJob.updateMany({ data: { createdAt: new Date(Date.now() - 6 * MINUTE) } });
    expect(await w.autoQueue()).toMatchObject({ status: "queued", reason: "schedule: every 5 min (hiwl watch)" });
  });

  it("queues the first model's job at once when there is no model, once per start", async () => {
    // Back to a fresh installation (the last test of the file, so nothing else needs the rest).
    await t.db.trainingJob.deleteMany();
    await t.db.modelVersion.updateMany({ data: { active: false } });
    const w = worker("first", { firstModel: true });
    await w.start();
    const first = await w.autoQueue();
    expect(first).toMatchObject({ status: "queued", reason: "no model yet (hiwl watch)" });
    expect(await w.autoQueue()).toBeNull();
    await claimNextJob(t.db, "elsewhere");
    await finishJob(t.db, first!.id, "elsewhere", { status: "failed", error: "test over" });
    // A job was tried: the next one waits for classifications or the schedule, not a retry loop.
    expect(await w.autoQueue()).toBeNull();
    expect(await worker("off", {}).autoQueue()).toBeNull();
    // A restarted worker (npm start again after an interrupted first training) tries once more.
    const restarted = worker("restarted", { firstModel: true });
    await restarted.start();
    expect(await restarted.autoQueue()).toMatchObject({ status: "queued", reason: "no model yet (hiwl watch)" });
  });
});
