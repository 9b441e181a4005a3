import { describe, expect, it } from "vitest";
import {
  activateModelVersion,
  setModelVersionMetric,
  claimNextJob,
  createModelVersion,
  createResearcher,
  failStaleJobs,
  finishJob,
  getActiveModelVersion,
  listJobs,
  listModelVersions,
  NotFoundError,
  queueTrainingJob,
  updateJobProgress,
  upsertPredictions,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, KEPT_INACTIVE, useTestDb } from "./helpers.ts";

const t = useTestDb();

describe("training jobs", () => {
  it("two concurrent claimers get different jobs, and only one gets the last", async () => {
    const researcher = await createResearcher(t.db, "trainer", "a long enough password");
    const a = await queueTrainingJob(t.db, { epochs: 3 }, { requestedById: researcher.id, reason: "new votes" });
    const b = await queueTrainingJob(t.db, { epochs: 5 });
    expect(a).toMatchObject({ status: "queued", config: { epochs: 3 }, requestedById: researcher.id, reason: "new votes" });

    const [x, y] = await Promise.all([claimNextJob(t.db, "w1"), claimNextJob(t.db, "w2")]);
    expect(new Set([x?.id, y?.id])).toEqual(new Set([a.id, b.id]));
    expect(x).toMatchObject({ status: "running", workerId: "w1" });
    expect(y).toMatchObject({ status: "running", workerId: "w2" });
    expect(x!.startedAt).toBeInstanceOf(Date);

    const c = await queueTrainingJob(t.db);
    const claims = await Promise.all([claimNextJob(t.db, "w3"), claimNextJob(t.db, "w4"), claimNextJob(t.db, "w5")]);
    expect(claims.filter((j) => j !== null).map((j) => j.id)).toEqual([c.id]);
    expect(await claimNextJob(t.db, "w6")).toBeNull();
  });

  it("tracks progress, finishes only the owner's job, and fails silent workers", async () => {
    const job = await queueTrainingJob(t.db, {});
    const claimed = (await claimNextJob(t.db, "worker-a"))!;
    expect(claimed.id).toBe(job.id);
    expect(await updateJobProgress(t.db, job.id, "worker-a", { phase: "train flat", epoch: 1, loss: 0.5 })).toBe(true);
    expect(await updateJobProgress(t.db, job.id, "intruder", { phase: "train flat", epoch: 9 })).toBe(false);
    expect((await t.db.trainingJob.findUniqueOrThrow({ where: { id: job.id } })).progress).toEqual({ phase: "train flat", epoch: 1, loss: 0.5 });
    // Progress breaking its contract is refused before it is written, naming the job and field.
    await expect(updateJobProgress(t.db, job.id, "worker-a", { phase: "train flat", loss: Number.NaN })).rejects.toThrow(
      new RegExp(`^cannot store TrainingJob ${job.id} progress: .*loss`, "s"),
    );

    // Its worker goes silent: an old heartbeat.
    await t.db.trainingJob.update({ where: { id: job.id }, data: { heartbeatAt: new Date(Date.now() - 10 * 60_000) } });
    await queueTrainingJob(t.db, {});
    const fresh = (await claimNextJob(t.db, "worker-b"))!;
    expect(await failStaleJobs(t.db, 5 * 60_000)).toBeGreaterThanOrEqual(1);
    const stale = await t.db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(stale.status).toBe("failed");
    expect(stale.error).toMatch(/no heartbeat/);
    expect((await t.db.trainingJob.findUniqueOrThrow({ where: { id: fresh.id } })).status).toBe("running");
    // The stale worker learns it lost the job.
    expect(await updateJobProgress(t.db, job.id, "worker-a", { phase: "train flat", epoch: 2 })).toBe(false);
    expect(await finishJob(t.db, job.id, "worker-a", { status: "succeeded" })).toBe(false);

    expect(await finishJob(t.db, fresh.id, "worker-b", { status: "failed", error: "out of memory" })).toBe(true);
    const done = await t.db.trainingJob.findUniqueOrThrow({ where: { id: fresh.id } });
    expect(done).toMatchObject({ status: "failed", error: "out of memory" });
    expect(done.finishedAt).toBeInstanceOf(Date);

    const failed = await listJobs(t.db, { status: "failed" });
    expect(failed.map((j) => j.id)).toEqual(expect.arrayContaining([job.id, fresh.id]));
    expect(failed.every((j) => j.status === "failed")).toBe(true);
    const all = await listJobs(t.db);
    expect(all.map((j) => j.id)).toEqual([...all.map((j) => j.id)].sort((p, q) => q - p));
  });
});

describe("model versions and predictions", () => {
  it("keeps exactly one active version through switches", async () => {
    expect(await getActiveModelVersion(t.db)).toBeNull();
    const job = await queueTrainingJob(t.db, {});
    const v1 = await createModelVersion(t.db, { version: "v1", path: "models/v1", config: { backbone: "b0" }, metrics: { accuracy: 0.9 }, trainingJobId: job.id });
    const v2 = await createModelVersion(t.db, { version: "v2", path: "models/v2", config: {}, metrics: {} });
    expect(v1.active).toBe(false);
    expect(v1.metrics).toEqual({ accuracy: 0.9 });

    for (const v of [v1, v2, v2, v1]) {
      expect((await activateModelVersion(t.db, v.id)).active).toBe(true);
      const active = await t.db.modelVersion.findMany({ where: { active: true } });
      expect(active.map((m) => m.id)).toEqual([v.id]);
      expect((await getActiveModelVersion(t.db))?.id).toBe(v.id);
    }
    await expect(activateModelVersion(t.db, 424242)).rejects.toThrow(NotFoundError);
    expect((await getActiveModelVersion(t.db))?.id).toBe(v1.id); // unchanged by the failed switch
    expect((await listModelVersions(t.db)).map((m) => m.version)).toEqual(["v2", "v1"]);
    expect((await listJobs(t.db)).find((j) => j.id === job.id)?.modelVersion).toEqual({ id: v1.id, version: "v1", active: true });

    // One key of the metrics set afterwards (the activation decision), the rest kept.
    const decision = KEPT_INACTIVE;
    expect((await setModelVersionMetric(t.db, v1.id, "activation", decision)).metrics).toEqual({ accuracy: 0.9, activation: decision });
    await expect(setModelVersionMetric(t.db, 424242, "activation", decision)).rejects.toThrow(NotFoundError);
  });

  it("upserts predictions per (galaxy, model version)", async () => {
    const ids = await addGalaxies(t.db, galaxyRows(700, { source: "pred" }));
    const version = await createModelVersion(t.db, { version: "v3", path: "models/v3", config: {}, metrics: {} });
    const probs = (p: number) => ({ round: p, "in-between": 0.1, cigar: 0.1, "edge-on": 0.1, spiral: 0.7 - p });
    expect(
      await upsertPredictions(t.db, version.id, ids.map((galaxyId) => ({ galaxyId, probabilities: probs(0.1), predictedClass: "spiral" as const, acquisition: 0.2 }))),
    ).toBe(700);
    await upsertPredictions(t.db, version.id, [{ galaxyId: ids[0]!, probabilities: probs(0.6), predictedClass: "round" }]);

    expect(await t.db.prediction.count({ where: { modelVersionId: version.id } })).toBe(700);
    const first = await t.db.prediction.findUniqueOrThrow({ where: { galaxyId_modelVersionId: { galaxyId: ids[0]!, modelVersionId: version.id } } });
    expect(first).toMatchObject({ pRound: 0.6, pInBetween: 0.1, pCigar: 0.1, pEdgeOn: 0.1, predictedClass: "round", acquisition: null });
    expect(first.pSpiral).toBeCloseTo(0.1);
    const other = await t.db.prediction.findUniqueOrThrow({ where: { galaxyId_modelVersionId: { galaxyId: ids[1]!, modelVersionId: version.id } } });
    expect(other).toMatchObject({ predictedClass: "spiral", acquisition: 0.2 });
  });
});
