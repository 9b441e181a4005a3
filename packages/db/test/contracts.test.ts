import { describe, expect, it } from "vitest";
import {
  answersOf,
  claimNextJob,
  setModelVersionMetric,
  updateJobProgress,
  createModelVersion,
  ensureVolunteer,
  galaxyMetadataOf,
  insertGalaxies,
  InvalidInputError,
  Prisma,
  modelVersionConfigOf,
  queueTrainingJob,
  runMetricsOf,
  shownJobProgress,
  StoredJsonError,
  submitClassification,
  syntheticTruthOf,
  trainingJobConfigOf,
  type RunMetrics,
} from "../src/index.ts";
import { addGalaxies, EPOCH, galaxyRows, KEPT_INACTIVE, SCORES, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();


/** Everything the trainer records for a version, as RunMetrics says. */
const METRICS: RunMetrics = {
  ...SCORES,
  macroF1: 0.7333,
  testGalaxies: 4,
  split: { seed: 0, train: 30, val: 4, test: 4, testSetHash: "abc" },
  curves: { flat: [EPOCH] },
  best: { flat: { epoch: 1, valLoss: null, valAccuracy: null } },
  stopped: { flat: "epochs" },
  sampling: { flat: "class-balanced" },
  timing: { trainSeconds: 12.5, epochs: [{ level: "flat", epoch: 1, seconds: 12.5, imagesPerSec: 30 }] },
};

/** Overwrites one stored JSON value as a hand edit or an older process would leave it. */
const overwrite = (table: string, column: string, id: number, json: unknown) =>
  t.db.$executeRaw`UPDATE ${Prisma.raw(`"${table}"`)} SET ${Prisma.raw(`"${column}"`)} = ${JSON.stringify(json)} WHERE "id" = ${id}`;

describe("stored JSON contracts", () => {
  it("a model version's config and metrics are read back as the trainer wrote them", async () => {
    const config = { variant: "nano", inputSize: 32, hierarchy: "hierarchical", limit: null, weightedSampling: true, backend: "wasm" };
    const version = await createModelVersion(t.db, { version: "c1", path: "models/c1", config, metrics: METRICS });
    expect(modelVersionConfigOf(version)).toEqual(config);
    expect(runMetricsOf(version)).toEqual(METRICS);
  });

  it("stores numbers exactly as computed, to the last bit", async () => {
    // Prisma alone would store 0.30000000000000004 as 0.3 and 1/6 one bit off (prisma/prisma#11096).
    const exact = { accuracy: 0.1 + 0.2, macroF1: 1 / 6 };
    const version = await createModelVersion(t.db, { version: "exact", path: "models/exact", config: { lr: 0.1 + 0.2 }, metrics: exact });
    const decision = { ...KEPT_INACTIVE, newAccuracy: 1 / 3 + 1 / 6 - 0.5 + 0.1 + 0.2 };
    const recorded = await setModelVersionMetric(t.db, version.id, "activation", decision);
    expect(recorded.metrics).toEqual({ ...exact, activation: decision });
    expect(modelVersionConfigOf(recorded)).toEqual({ lr: 0.1 + 0.2 });
    const job = await queueTrainingJob(t.db, { lr: 0.1 + 0.2 });
    expect(trainingJobConfigOf(job)).toEqual({ lr: 0.1 + 0.2 });
    await claimNextJob(t.db, "exact-worker");
    expect(await updateJobProgress(t.db, job.id, "exact-worker", { phase: "train flat", loss: 1 / 6, accuracy: 0.1 + 0.2 })).toBe(true);
    expect((await t.db.trainingJob.findUniqueOrThrow({ where: { id: job.id } })).progress).toEqual({ phase: "train flat", loss: 1 / 6, accuracy: 0.1 + 0.2 });
  });

  it("refuses to write what breaks a contract, naming the row and the field, and writes nothing", async () => {
    const before = await t.db.modelVersion.count();
    await expect(
      createModelVersion(t.db, { version: "c2", path: "models/c2", config: {}, metrics: { ...METRICS, accuracy: Number.NaN } }),
    ).rejects.toThrow(/^cannot store ModelVersion c2 metrics: ✖ Invalid input: expected number, received null\n {2}→ at accuracy$/);
    // A key the contract does not know is refused too, rather than stored for no reader.
    await expect(
      createModelVersion(t.db, { version: "c3", path: "models/c3", config: {}, metrics: { accuracy: 0.5, acuracy: 0.5 } as never }),
    ).rejects.toThrow(/cannot store ModelVersion c3 metrics: .*Unrecognized key: "acuracy"/s);
    await expect(
      createModelVersion(t.db, { version: "c4", path: "models/c4", config: { nested: { lr: 1 } } as never, metrics: {} }),
    ).rejects.toThrow(/cannot store ModelVersion c4 config: .*at nested/s);
    expect(await t.db.modelVersion.count()).toBe(before);
  });

  it("a stored value that breaks its contract is an error naming the row and the field", async () => {
    const version = await createModelVersion(t.db, { version: "c5", path: "models/c5", config: {}, metrics: { accuracy: 0.5 } });
    // Registered by hand without the trainer's records: the parts a benchmark needs are missing.
    expect(() => runMetricsOf(version)).toThrow(
      new RegExp(`^ModelVersion ${version.id} metrics is not what the platform stores: .*at classes`, "s"),
    );

    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "contracts" }));
    await ensureVolunteer(t.db, "c-volunteer");
    const { classification } = await submitClassification(
      t.db,
      { volunteerId: "c-volunteer", galaxyId: g!, answers: [...WALKS.round], startedAt: new Date(), finishedAt: new Date() },
      { requireHandout: false, rules: null },
    );
    expect(answersOf(classification)).toEqual(WALKS.round);
    await overwrite("Classification", "answers", classification.id, ["1.1", "99.9"]);
    const stored = await t.db.classification.findUniqueOrThrow({ where: { id: classification.id } });
    expect(() => answersOf(stored)).toThrow(
      new StoredJsonError(`Classification ${classification.id} answers is not what the platform stores: ✖ unknown answer id "99.9"\n  → at [1]`),
    );

    const job = await queueTrainingJob(t.db, { epochs: 3 });
    expect(trainingJobConfigOf(job)).toEqual({ epochs: 3 });
    await overwrite("TrainingJob", "config", job.id, [3]);
    expect(() => trainingJobConfigOf({ ...job, config: [3] })).toThrow(`TrainingJob ${job.id} config is not what the platform stores`);
  });

  it("galaxy metadata: the synthetic truth, or a catalogue's original label", async () => {
    await expect(insertGalaxies(t.db, [{ ...galaxyRows(1, { source: "meta" })[0]!, metadata: { truth: { kind: "spiral" } } as never }])).rejects.toThrow(
      InvalidInputError,
    );
    const [labelled] = await addGalaxies(t.db, [{ ...galaxyRows(1, { source: "meta" })[0]!, metadata: { objid_label: "elliptical" } }]);
    const g = await t.db.galaxy.findUniqueOrThrow({ where: { id: labelled! } });
    expect(galaxyMetadataOf(g)).toEqual({ objid_label: "elliptical" });
    expect(() => syntheticTruthOf(g)).toThrow(`Galaxy ${g.id} metadata has no synthetic truth: it is not a synthetic galaxy`);
  });

  it("the dashboard reads what is well-formed of a job's progress, and nothing of a job not started", () => {
    expect(shownJobProgress({ progress: null })).toEqual({});
    expect(shownJobProgress({ progress: { phase: "train level1", epoch: 2, epochs: "three", loss: 0.4 } })).toEqual({
      phase: "train level1",
      epoch: 2,
      loss: 0.4,
    });
  });
});
