import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { getPriority } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { seedSynthetic } from "@hiwl/catalog";
import {
  checkHealth,
  activateModelVersion,
  claimNextJob,
  createModelVersion,
  ensureVolunteer,
  finishJob,
  getGalaxy,
  insertGalaxies,
  listGalaxies,
  jobProgress,
  queueTrainingJob,
  runMetricsOf,
  submitClassification,
  type JobProgress,
  type ModelVersion,
  type TrainingJob,
} from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { METADATA_FILE, networkModelPath, WEIGHTS_FILE } from "@hiwl/model/network";
import { decideActivation, type ActivationDecision } from "../src/training/activation.ts";
import { ImagePipeline } from "../src/training/image-pipeline.ts";
import type { TrainResult } from "../src/training/train.ts";
import { TrainingWorker, type JobOutcome, type WorkerEvent, type WorkerOptions } from "../src/worker/worker.ts";

const t = useTestDb();
const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));

function worker(workerId: string, options: Partial<WorkerOptions> = {}): TrainingWorker {
  return new TrainingWorker(t.db, {
    workerId,
    dataDir: t.dataDir,
    // Small enough for a 2-core machine: nano at 32 px, a second per epoch. One epoch leaves
    // the batch-norm statistics unsettled (non-finite outputs); two do not. HIWL's recipe (SGD,
    // one pass an epoch), which TRAINED and UNTRAINED below were chosen with.
    training: { preset: "paper", variant: "nano", inputSize: 32, batch: 8, epochs: 2, seed: 5, backend: "wasm" },
    scoring: { acquisition: "bald", passes: 2 },
    every: null,
    intervalMinutes: null,
    heartbeatMs: 100,
    ...options,
  });
}

const job = (id: number) => t.db.trainingJob.findUniqueOrThrow({ where: { id } });

/** `hiwl watch` in a process of its own, small (nano at 32 px), under the name `workerId`. */
function startWatch(workerId: string, recipe = ["--min-epoch-examples", "0"]) {
  const args = ["watch", "--every", "0", "--no-first-model", "--variant", "nano", "--input-size", "32", "--batch", "8", "--backend", "wasm", ...recipe];
  const child = spawn(process.execPath, [HIWL, ...args, "--poll", "0.2", "--worker-id", workerId], {
    env: { ...process.env, HIWL_DATA_DIR: t.dataDir },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  return { child, exited: once(child, "exit"), stdout: () => stdout };
}

/** A job's row once it has reported its first epoch (or as it is after a minute). */
async function firstEpoch(id: number): Promise<TrainingJob> {
  let row = await job(id);
  for (const deadline = Date.now() + 60_000; progressOf(row).epoch === undefined && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    row = await job(id);
  }
  return row;
}
const activeVersions = () => t.db.modelVersion.findMany({ where: { active: true } });
/** A job's progress through its stored contract ({} before the worker wrote any). */
const progressOf = (row: TrainingJob): Partial<JobProgress> => jobProgress.nullable().parse(row.progress) ?? {};
const metricsOf = runMetricsOf;
const storedVersion = (id: number) => t.db.modelVersion.findUniqueOrThrow({ where: { id } });
/** The model version of each galaxy's prediction as the site reads them (the galaxy page, the gallery). */
const shownVersions = async () => {
  const ids = (await t.db.galaxy.findMany({ select: { id: true } })).map((g) => g.id);
  const pages = await Promise.all(ids.map(async (id) => (await getGalaxy(t.db, id))!.activePrediction?.modelVersionId ?? null));
  const { galaxies } = await listGalaxies(t.db, { pageSize: 100 });
  return { pages: new Set(pages), gallery: new Set(galaxies.map((g) => g.activePrediction?.modelVersionId ?? null)) };
};
/**
 * Two models of clearly different skill on this catalogue's 6 test galaxies (training is
 * seeded, so they are the same every run): trained longer at a higher rate, 3 right; at a
 * learning rate of 1e-9 the weights stay at their random start and it says "cigar" to all, 1 right.
 */
const TRAINED = { epochs: 8, lr: 0.02 };
const UNTRAINED = { lr: 1e-9, epochs: 1, weightDecay: 0 };
const MINUTE = 60_000;

beforeAll(async () => {
  // Catalogue labels for all 60, votes for half of them.
  await seedSynthetic(t.db, { count: 60, votes: 3, votedFraction: 0.5, seed: "watch", crowd: 10 }, t.dataDir);
});

describe("running jobs", () => {
  let trained: ModelVersion;

  it("runs a queued job on exactly one of two workers, with progress, and switches models only once the new one has scored", async () => {
    // A version that stands for the model serving while the job trains; its directory is gone,
    // so it cannot be compared with and does not hold the new model back.
    const old = await createModelVersion(t.db, { version: "serving", path: join(t.dataDir, "models", "serving"), config: {}, metrics: {} });
    await activateModelVersion(t.db, old.id);
    const queued = await queueTrainingJob(t.db, TRAINED, { reason: "test" });

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

    expect(seen.map((s) => s.event)).toEqual(["claimed", "trained", "decided", "scored", "activated", "finished"]);
    const whileTraining = seen.find((s) => s.event === "trained")!;
    expect(whileTraining.active).toEqual(["serving"]);
    expect(whileTraining.row).toMatchObject({ status: "running", workerId: runner });
    const progress = progressOf(whileTraining.row);
    expect(progress).toMatchObject({ epoch: 8, epochs: 8, level: "level2" });
    expect(progress.loss).toBeGreaterThan(0);
    expect(Number.isFinite(progress.loss)).toBe(true);
    expect(progress.accuracy).toBeGreaterThanOrEqual(0);
    expect(progress.accuracy).toBeLessThanOrEqual(1);
    expect(progress.imagesPerSec).toBeGreaterThan(0);
    expect(whileTraining.row.heartbeatAt!.getTime()).toBeGreaterThan(whileTraining.row.startedAt!.getTime());
    // Scored, but not yet in charge: the switch comes with the scores.
    expect(seen.find((s) => s.event === "scored")!.active).toEqual(["serving"]);
    expect(seen.find((s) => s.event === "activated")!.active).toEqual([outcome.modelVersion.version]);
    expect(outcome.activation).toMatchObject({
      activate: true,
      reason: `the active version serving cannot be evaluated: its directory ${join(t.dataDir, "models", "serving")} is missing`,
      activeVersion: "serving",
      activeAccuracy: null,
    });
    // Its accuracy reloaded from its directory is the one training recorded, on the same galaxies.
    const metrics = metricsOf(await storedVersion(outcome.modelVersion.id));
    expect(outcome.activation.newAccuracy).toBe(metrics.accuracy);
    expect(outcome.activation.galaxies).toBe(metrics.split.test);
    expect(metrics.activation).toEqual(outcome.activation);

    // The volunteers' skills were estimated for the job: every simulated volunteer who voted has them.
    const voters = await t.db.volunteer.count({ where: { classifications: { some: {} } } });
    expect(voters).toBeGreaterThan(0);
    expect(await t.db.volunteer.count({ where: { skills: { some: {} } } })).toBe(voters);

    const done = await job(queued.id);
    expect(done).toMatchObject({ status: "succeeded", workerId: runner, error: null });
    expect(progressOf(done).phase).toBe("done");
    trained = outcome.modelVersion;
    expect(trained.trainingJobId).toBe(queued.id);
    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
    // Scoring ran with the new model: every galaxy was active, so every one has a prediction.
    expect(outcome.scoring?.scored).toBe(60);
    expect(await t.db.prediction.count({ where: { modelVersionId: trained.id, acquisition: { not: null } } })).toBe(60);
    // Then mapped their features for the dashboard.
    expect(outcome.featureMap).toMatchObject({ points: 60, scored: 60, dimensions: 320 });
    expect(await t.db.featurePoint.count({ where: { modelVersionId: trained.id } })).toBe(60);
    expect(await shownVersions()).toEqual({ pages: new Set([trained.id]), gallery: new Set([trained.id]) });
  });

  let worse: { result: TrainResult; decision: ActivationDecision };

  it("keeps the active model, and its predictions on every page, when the new one is less accurate on the same held-out galaxies", async () => {
    const queued = await queueTrainingJob(t.db, UNTRAINED);
    let result: TrainResult | undefined;
    const events: WorkerEvent["type"][] = [];
    const onEvent = (event: WorkerEvent) => {
      events.push(event.type);
      if (event.type === "trained") result = event.result;
    };
    const outcome = await worker("a", { onEvent }).runNextJob();
    if (outcome?.status !== "succeeded") throw new Error(outcome?.status === "failed" ? outcome.error : "no job ran");
    expect(events).toEqual(["claimed", "trained", "decided", "finished"]);
    expect((await job(queued.id)).status).toBe("succeeded");

    // No classification arrived since the active model was trained: the same split, so the
    // active model's accuracy on the new model's test galaxies is the one it was trained with.
    const active = metricsOf(trained);
    const candidate = metricsOf(await storedVersion(outcome.modelVersion.id));
    expect(candidate.split.testSetHash).toBe(active.split.testSetHash);
    expect(outcome.activation).toMatchObject({
      activate: false,
      newAccuracy: candidate.accuracy,
      activeVersion: trained.version,
      activeAccuracy: active.accuracy,
      galaxies: active.split.test,
    });
    expect(candidate.accuracy).toBeLessThan(active.accuracy);
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    expect(outcome.activation.reason).toBe(
      `less accurate: ${pct(candidate.accuracy)} vs ${pct(active.accuracy)} for ${trained.version} on the same ${active.split.test} held-out galaxies`,
    );
    expect(candidate.activation).toEqual(outcome.activation);
    expect(outcome).toMatchObject({ scoring: null, featureMap: null, modelVersion: { active: false } });

    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
    expect(await t.db.prediction.count({ where: { modelVersionId: outcome.modelVersion.id } })).toBe(0);
    expect(await shownVersions()).toEqual({ pages: new Set([trained.id]), gallery: new Set([trained.id]) });

    // The module decides the same for the same pair, on its own.
    const pipeline = await ImagePipeline.start();
    try {
      const again = await decideActivation(t.db, result!, { dataDir: t.dataDir, pipeline });
      expect({ ...again, decidedAt: null }).toEqual({ ...outcome.activation, decidedAt: null });
    } finally {
      await pipeline.close();
    }
    worse = { result: result!, decision: outcome.activation };
  });

  it("hiwl train decides as the worker does for the same pair", async () => {
    // The worker's settings and the job's: the same seed trains the same model.
    const args = ["--preset", "paper", "--variant", "nano", "--input-size", "32", "--batch", "8", "--seed", "5", "--backend", "wasm"];
    const untrained = ["--lr", "1e-9", "--epochs", "1", "--weight-decay", "0"];
    const { stdout } = await promisify(execFile)(process.execPath, [HIWL, "train", ...args, ...untrained], {
      env: { ...process.env, HIWL_DATA_DIR: t.dataDir },
      timeout: 300_000,
    });
    const version = /model version (\S+) \(id (\d+)\) is not active: (.*)$/m.exec(stdout);
    expect(version, stdout).not.toBeNull();
    expect(version![3]).toBe(worse.decision.reason);
    const stored = metricsOf(await storedVersion(Number(version![2])));
    expect({ ...stored.activation, decidedAt: null }).toEqual({ ...worse.decision, decidedAt: null });
    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
  });

  it("keeps the old model active and serving when scoring with the new one fails", async () => {
    // The active model's settings again: the same model, as accurate, so activated.
    const queued = await queueTrainingJob(t.db, TRAINED);
    const unreadable = join(t.dataDir, "images", "unreadable.jpg");
    const onEvent = async (event: WorkerEvent) => {
      if (event.type !== "decided") return;
      // A galaxy imported after the decision whose image turns out not to be an image.
      await writeFile(unreadable, "not a JPEG");
      await t.db.galaxy.create({ data: { externalId: "unreadable", source: "test", imagePath: unreadable } });
    };
    const outcome = await worker("a", { onEvent }).runNextJob();
    expect(outcome?.status).toBe("failed");
    const row = await job(queued.id);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/^scoring with \S+ failed: could not decode 1 image\(s\):\n {2}galaxy \d+ \(\S+unreadable\.jpg\)/);

    const rejected = await t.db.modelVersion.findUniqueOrThrow({ where: { trainingJobId: queued.id } });
    expect(rejected.active).toBe(false);
    expect(metricsOf(rejected).activation).toMatchObject({
      activate: true,
      reason: expect.stringMatching(/^at least as accurate: /),
      failed: row.error,
    });
    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
    expect(await t.db.prediction.count({ where: { modelVersionId: rejected.id } })).toBe(0);
    await t.db.galaxy.deleteMany({ where: { source: "test" } });
    expect(await shownVersions()).toEqual({ pages: new Set([trained.id]), gallery: new Set([trained.id]) });
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
    expect(row.error).toMatch(/^verifying \S+ failed: the model outputs non-finite probabilities \(\[NaN, NaN, NaN, NaN, NaN\]\)/);
    expect(metricsOf(await t.db.modelVersion.findUniqueOrThrow({ where: { trainingJobId: queued.id } })).activation).toBeUndefined();
    expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
    const rejected = await t.db.modelVersion.findUniqueOrThrow({ where: { trainingJobId: queued.id } });
    expect(rejected.active).toBe(false);
    expect(await t.db.prediction.count({ where: { modelVersionId: rejected.id } })).toBe(0);
  });

  // Mounting a small disk needs root: CI and these machines run as root.
  it.runIf(process.getuid?.() === 0)("fails the job when the data disk fills during a model write; the old model keeps serving, no version half-written", async () => {
    const models = join(t.dataDir, "models");
    const aside = `${models}.aside`;
    const sh = (command: string) => promisify(execFile)("sh", ["-c", command]);
    const usedBytes = Number((await sh(`du -sb "${models}" | cut -f1`)).stdout.trim());
    const weights = Number((await sh(`find "${models}" -name "${WEIGHTS_FILE}" -printf "%s\\n" | sort -n | tail -1`)).stdout.trim());
    expect(weights).toBeGreaterThan(0);
    // The models folder on a disk of its own holding what is there now, with room for a new
    // run's first small files but not for a network's weights.
    await sh(`mv "${models}" "${aside}" && mkdir "${models}"`);
    await sh(`mount -t tmpfs -o size=${Math.ceil((usedBytes + weights / 2) / 4096) * 4096 + 64 * 1024} tmpfs "${models}" && cp -a "${aside}/." "${models}/"`);
    try {
      const before = await t.db.modelVersion.count();
      const queued = await queueTrainingJob(t.db, {});
      const outcome = await worker("a").runNextJob();
      expect(outcome?.status).toBe("failed");
      const row = await job(queued.id);
      expect(row.status).toBe("failed");
      // Which file, and why, not Node's bare "ENOSPC: no space left on device, write".
      expect(row.error).toMatch(/^training failed: cannot write \S+\/models\/\S+: the disk is full \(ENOSPC\)$/);
      expect(await t.db.modelVersion.count()).toBe(before);
      expect((await activeVersions()).map((v) => v.id)).toEqual([trained.id]);
      expect(await shownVersions()).toEqual({ pages: new Set([trained.id]), gallery: new Set([trained.id]) });
      // The run's folder has no model metadata: nothing loads it as a version (it stays for --resume).
      const runs = (await sh(`ls "${models}"`)).stdout.split("\n").filter(Boolean);
      const unfinished = runs.filter((name) => !existsSync(join(models, name, METADATA_FILE)));
      expect(unfinished).toHaveLength(1);
      expect((await checkHealth(t.db)).model).toMatchObject({ ok: true, version: trained.version });
    } finally {
      await sh(`umount "${models}" && rmdir "${models}" && mv "${aside}" "${models}"`);
    }
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
  it("runs a queued job with the worker preset, its options and the job's settings and, on SIGTERM, fails it and exits", async () => {
    const queued = await queueTrainingJob(t.db, { epochs: 50 });
    const { child, exited, stdout: output } = startWatch("cli");
    const row = await firstEpoch(queued.id);
    expect(row).toMatchObject({ status: "running", workerId: "cli" });
    // Below the web servers' CPU priority by default (--nice 19: the lowest).
    expect(getPriority(child.pid)).toBe(19);
    expect(progressOf(row).epochs).toBe(50);
    // Its heartbeat for /api/health, saying what it does.
    expect(await t.db.workerHeartbeat.findUnique({ where: { workerId: "cli" } })).toMatchObject({ stoppedAt: null });
    expect((await checkHealth(t.db)).worker).toMatchObject({ ok: true, workerId: "cli", detail: `cli: job ${queued.id}` });
    child.kill("SIGTERM");
    expect(await exited).toEqual([0, null]);
    expect(await t.db.workerHeartbeat.findUnique({ where: { workerId: "cli" } })).toMatchObject({ state: "stopped", stoppedAt: expect.any(Date) });
    const failed = /^training failed: (\S+) interrupted: the worker was stopped \(SIGTERM\); continue it with --resume/.exec((await job(queued.id)).error ?? "");
    expect(failed).not.toBeNull();
    // The interrupted run's settings: the job's beat the worker's options, which beat the preset.
    const run = JSON.parse(await readFile(join(t.dataDir, "models", failed![1]!, "run.json"), "utf8")) as { config: Record<string, unknown> };
    expect(run.config).toMatchObject({
      preset: "worker",
      epochs: 50,
      variant: "nano",
      inputSize: 32,
      batch: 8,
      minEpochExamples: 0,
      optimizer: "adam",
      lr: 0.003,
      warmupEpochs: 1,
      targets: "votes",
      bestBy: "last",
    });
    const stdout = output();
    expect(stdout).toContain("as queued with the worker preset; scoring with margin per expected vote to retirement, 1 pass(es)");
    expect(stdout).toContain(`job ${queued.id}: started`);
    expect(stdout).toContain(`job ${queued.id}: failed: training failed:`);
  });
});

describe("killed workers", () => {
  it("SIGKILL mid-epoch: the next worker fails the job, and the previous model keeps serving every page", async () => {
    const active = (await activeVersions()).map((v) => v.id);
    // The model the tests above activated (this one needs them) serves the pages.
    expect(active).toHaveLength(1);
    const shown = await shownVersions();
    expect(shown.pages.has(active[0]!)).toBe(true);
    const queued = await queueTrainingJob(t.db, { epochs: 50 });
    const { child, exited } = startWatch("killed");
    expect(await firstEpoch(queued.id)).toMatchObject({ status: "running", workerId: "killed" });
    child.kill("SIGKILL");
    expect(await exited).toEqual([null, "SIGKILL"]);
    // Nothing ran its clean-up: the job still says running, the heartbeat says alive.
    expect(await job(queued.id)).toMatchObject({ status: "running" });
    expect(await t.db.workerHeartbeat.findUnique({ where: { workerId: "killed" } })).toMatchObject({ stoppedAt: null });

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await worker("after", { staleAfterMs: 1_000, heartbeatMs: 100 }).start();
    expect(await job(queued.id)).toMatchObject({ status: "failed", error: "no heartbeat from the worker for over 1 s" });
    expect((await activeVersions()).map((v) => v.id)).toEqual(active);
    expect(await shownVersions()).toEqual(shown);
    // /api/health sees the silence too.
    await t.db.workerHeartbeat.deleteMany({ where: { workerId: { not: "killed" } } });
    const health = await checkHealth(t.db, new Date(Date.now() + 3 * MINUTE));
    expect(health.worker).toMatchObject({ ok: false, workerId: "killed", detail: expect.stringMatching(/^the training worker killed has been silent for \d+ s$/) });
  });

  it("SIGKILL mid-scoring: the job is failed, the previous model keeps serving, the new one's partial predictions show nowhere", async () => {
    const active = (await activeVersions()).map((v) => v.id);
    expect(active).toHaveLength(1);
    const shown = await shownVersions();
    // Enough galaxies for scoring to take seconds: copies of one image, unlabelled.
    const image = (await t.db.galaxy.findFirstOrThrow({ select: { imagePath: true } })).imagePath;
    await insertGalaxies(t.db, Array.from({ length: 4000 }, (_, i) => ({ externalId: String(i), source: "scoring-load", imagePath: image })));
    try {
      // The active model's recipe (worker() above, TRAINED): as accurate, so it is scored for activation.
      const queued = await queueTrainingJob(t.db, TRAINED);
      const { child, exited } = startWatch("killed-scoring", ["--preset", "paper", "--seed", "5"]);
      let row = await job(queued.id);
      for (const deadline = Date.now() + 120_000; !/^score \d+\/\d+$/.test(progressOf(row).phase ?? "") && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        row = await job(queued.id);
      }
      const [done, total] = (progressOf(row).phase ?? "").replace("score ", "").split("/").map(Number);
      child.kill("SIGKILL");
      expect(await exited).toEqual([null, "SIGKILL"]);
      expect(done).toBeLessThan(total!);
      const version = await t.db.modelVersion.findUniqueOrThrow({ where: { trainingJobId: queued.id } });
      expect(version.active).toBe(false);
      // Scoring had written some of the new version's predictions; none is shown.
      expect(await t.db.prediction.count({ where: { modelVersionId: version.id } })).toBeLessThan(total!);
      expect((await activeVersions()).map((v) => v.id)).toEqual(active);
      await t.db.galaxy.deleteMany({ where: { source: "scoring-load" } });
      expect(await shownVersions()).toEqual(shown);

      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await worker("after-scoring", { staleAfterMs: 1_000, heartbeatMs: 100 }).start();
      expect(await job(queued.id)).toMatchObject({ status: "failed", error: "no heartbeat from the worker for over 1 s" });
      expect((await activeVersions()).map((v) => v.id)).toEqual(active);
    } finally {
      await t.db.galaxy.deleteMany({ where: { source: "scoring-load" } });
    }
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
      await submitClassification(
        t.db,
        { volunteerId: "volunteer-q", galaxyId, answers: ["1.1", "7.1", "6.2"], startedAt: new Date(), finishedAt: new Date() },
        { requireHandout: false },
      );
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
    expect(queued).toMatchObject({ status: "queued", reason: "3 new classifications (hiwl watch)", config: {} });
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
