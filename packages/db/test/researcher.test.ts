import type { HiwlClass } from "@hiwl/model";
import { beforeAll, describe, expect, it } from "vitest";
import {
  activateModelVersion,
  createModelVersion,
  ensureVolunteer,
  getFeatureMap,
  listFeatureMaps,
  listGalaxies,
  shownModelMetrics,
  predictionUncertainty,
  replaceFeatureMap,
  retireGalaxy,
  scoredGalaxies,
  submitClassification,
  upsertPredictions,
  type ModelVersion,
} from "../src/index.ts";
import { addGalaxies, EPOCH, galaxyRows, SCORES, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

/** Five probabilities whose normalised entropy is known. */
const CERTAIN = [1, 0, 0, 0, 0];
const TWO_WAY = [0.5, 0.5, 0, 0, 0]; // ln 2 / ln 5 = 0.4307
const THREE_WAY = [1 / 3, 1 / 3, 1 / 3, 0, 0]; // ln 3 / ln 5 = 0.6826
const UNIFORM = [0.2, 0.2, 0.2, 0.2, 0.2]; // 1

const CLASSES: readonly HiwlClass[] = ["round", "in-between", "cigar", "edge-on", "spiral"];
const probabilities = (p: readonly number[]) => Object.fromEntries(CLASSES.map((c, i) => [c, p[i]!])) as Record<HiwlClass, number>;

/**
 * Gallery galaxies g0..g7 (g7 newest). The active model's predictions, and what the
 * volunteers said, per galaxy:
 *   g0 spiral CERTAIN, votes spiral    g1 spiral UNIFORM, votes round     g2 round TWO_WAY, votes round
 *   g3 spiral THREE_WAY                g4 cigar CERTAIN                   g5 round UNIFORM, votes spiral
 *   g6, g7 not scored by the active model (g6 votes spiral)
 * g4 is retired. The inactive model predicts "spiral" with certainty for every galaxy.
 */
const ACTIVE: [number, HiwlClass, readonly number[]][] = [
  [0, "spiral", CERTAIN],
  [1, "spiral", UNIFORM],
  [2, "round", TWO_WAY],
  [3, "spiral", THREE_WAY],
  [4, "cigar", CERTAIN],
  [5, "round", UNIFORM],
];
const VOTES: [number, readonly string[]][] = [
  [0, WALKS.spiral],
  [1, WALKS.round],
  [2, WALKS.round],
  [5, WALKS.spiral],
  [6, WALKS.spiral],
];

let g: number[];
let active: ModelVersion;
let inactive: ModelVersion;

const ids = async (query: Parameters<typeof listGalaxies>[1]) =>
  (await listGalaxies(t.db, { source: "gallery", ...query })).galaxies.map((x) => g.indexOf(x.id));

beforeAll(async () => {
  g = await addGalaxies(t.db, galaxyRows(8, { source: "gallery" }));
  for (const [i, walk] of VOTES) {
    const volunteer = await ensureVolunteer(t.db, `v${i}`);
    const now = new Date();
    await submitClassification(
      t.db,
      { volunteerId: volunteer.id, galaxyId: g[i]!, answers: [...walk], startedAt: now, finishedAt: now },
      { requireHandout: false },
    );
  }
  await retireGalaxy(t.db, g[4]!, "count");
  active = await createModelVersion(t.db, { version: "active", path: "/a", config: {}, metrics: {} });
  inactive = await createModelVersion(t.db, { version: "inactive", path: "/b", config: {}, metrics: {} });
  await activateModelVersion(t.db, active.id);
  await upsertPredictions(
    t.db,
    active.id,
    ACTIVE.map(([i, predictedClass, p]) => ({ galaxyId: g[i]!, predictedClass, probabilities: probabilities(p) })),
  );
  // Written later: the filters must still use the active version's predictions.
  await upsertPredictions(
    t.db,
    inactive.id,
    g.map((galaxyId) => ({ galaxyId, predictedClass: "spiral" as const, probabilities: probabilities(CERTAIN) })),
  );
});

describe("prediction uncertainty", () => {
  it("is the entropy over ln 5: 0 for a certain prediction, 1 for a uniform one", async () => {
    expect(predictionUncertainty(probabilities(CERTAIN))).toBe(0);
    expect(predictionUncertainty(probabilities(UNIFORM))).toBeCloseTo(1, 12);
    expect(predictionUncertainty(probabilities(TWO_WAY))).toBeCloseTo(Math.log(2) / Math.log(5), 12);
    const stored = await t.db.prediction.findMany({ where: { modelVersionId: active.id }, orderBy: { galaxyId: "asc" } });
    expect(stored.map((p) => Number(p.uncertainty.toFixed(4)))).toEqual([0, 1, 0.4307, 0.6826, 0, 1]);
  });
});

describe("gallery filters", () => {
  it("filters by the active model's predicted class, newest first, whatever other versions predicted", async () => {
    expect(await ids({ predicted: "spiral" })).toEqual([3, 1, 0]);
    expect(await ids({ predicted: "round" })).toEqual([5, 2]);
    expect(await ids({ predicted: "edge-on" })).toEqual([]);
    const [first] = (await listGalaxies(t.db, { source: "gallery", predicted: "spiral" })).galaxies;
    expect(first!.activePrediction).toMatchObject({ modelVersionId: active.id, predictedClass: "spiral" });
  });

  it("filters by uncertainty: at least min, below max", async () => {
    expect(await ids({ uncertainty: { min: 0.5 } })).toEqual([5, 3, 1]);
    expect(await ids({ uncertainty: { max: 0.25 } })).toEqual([4, 0]);
    expect(await ids({ uncertainty: { min: 0.25, max: 0.5 } })).toEqual([2]);
    expect(await ids({ uncertainty: { min: 0, max: 1 } })).toEqual([4, 3, 2, 0]);
  });

  it("sorts by uncertainty either way, unscored galaxies last and newest first among equals", async () => {
    expect(await ids({ sort: "most-uncertain" })).toEqual([5, 1, 3, 2, 4, 0, 7, 6]);
    expect(await ids({ sort: "least-uncertain" })).toEqual([4, 0, 2, 3, 5, 1, 7, 6]);
  });

  it("combines the model's filters with the volunteers' consensus, retirement and paging", async () => {
    expect(await ids({ consensus: "spiral" })).toEqual([6, 5, 0]);
    expect(await ids({ consensus: "spiral", predicted: "spiral" })).toEqual([0]);
    expect(await ids({ consensus: "round", predicted: "spiral" })).toEqual([1]);
    expect(await ids({ consensus: "round", uncertainty: { min: 0.5 } })).toEqual([1]);
    expect(await ids({ predicted: "cigar", retired: false })).toEqual([]);
    expect(await ids({ predicted: "cigar", retired: true })).toEqual([4]);
    const page2 = await listGalaxies(t.db, { source: "gallery", predicted: "spiral", pageSize: 2, page: 2 });
    expect(page2.total).toBe(3);
    expect(page2.galaxies.map((x) => g.indexOf(x.id))).toEqual([0]);
    const shown = (await listGalaxies(t.db, { source: "gallery", consensus: "spiral" })).galaxies;
    expect(shown.map((x) => x.consensus)).toEqual(["spiral", "spiral", "spiral"]);
    expect((await listGalaxies(t.db, { source: "gallery" })).galaxies.find((x) => x.id === g[7])!.consensus).toBeNull();
  });

  it("finds no predicted galaxies without an active model", async () => {
    await t.db.modelVersion.updateMany({ data: { active: false } });
    try {
      expect(await ids({ predicted: "spiral" })).toEqual([]);
      expect(await ids({ sort: "most-uncertain" })).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    } finally {
      await activateModelVersion(t.db, active.id);
    }
  });
});

describe("feature maps", () => {
  it("lists the scored galaxies and replaces a version's map as a whole", async () => {
    expect((await scoredGalaxies(t.db, active.id)).map((x) => g.indexOf(x.id))).toEqual([0, 1, 2, 3, 4, 5]);
    const points = [0, 1, 5].map((i, k) => ({ galaxyId: g[i]!, x: k, y: 0.5 - k / 2 }));
    expect(await replaceFeatureMap(t.db, active.id, points)).toBe(3);
    expect(await replaceFeatureMap(t.db, inactive.id, [{ galaxyId: g[7]!, x: 1, y: 1 }])).toBe(1);
    expect(await listFeatureMaps(t.db)).toEqual([
      { modelVersionId: active.id, points: 3 },
      { modelVersionId: inactive.id, points: 1 },
    ]);

    expect(await getFeatureMap(t.db, active.id)).toEqual([
      { galaxyId: g[0], externalId: "0", imageHash: null, x: 0, y: 0.5, consensus: "spiral", predicted: "spiral" },
      { galaxyId: g[1], externalId: "1", imageHash: null, x: 1, y: 0, consensus: "round", predicted: "spiral" },
      { galaxyId: g[5], externalId: "5", imageHash: null, x: 2, y: -0.5, consensus: "spiral", predicted: "round" },
    ]);
    expect(await getFeatureMap(t.db, inactive.id)).toEqual([
      { galaxyId: g[7], externalId: "7", imageHash: null, x: 1, y: 1, consensus: null, predicted: "spiral" },
    ]);

    // A bad point writes nothing: the old map stays.
    await expect(replaceFeatureMap(t.db, active.id, [{ galaxyId: g[2]!, x: Number.NaN, y: 0 }])).rejects.toThrow(/not finite/);
    expect((await getFeatureMap(t.db, active.id)).map((p) => g.indexOf(p.galaxyId))).toEqual([0, 1, 5]);
    expect(await replaceFeatureMap(t.db, active.id, [{ galaxyId: g[2]!, x: 4, y: 4 }])).toBe(1);
    expect((await getFeatureMap(t.db, active.id)).map((p) => g.indexOf(p.galaxyId))).toEqual([2]);
  });
});

describe("model metrics", () => {
  const full = { ...SCORES, macroF1: 0.7, curves: { flat: [EPOCH] }, split: { seed: 1 } };

  it("reads what the trainer records", () => {
    const { split: _, ...read } = full;
    expect(shownModelMetrics({ metrics: full })).toEqual(read);
  });

  it("drops only the malformed parts, and parts that cannot be read without the class names", () => {
    const parsed = shownModelMetrics({ metrics: { ...full, accuracy: "high", confusion: [[1, 1]], curves: { flat: [{ epoch: 0 }] } } });
    expect(parsed).toEqual({ macroF1: 0.7, count: 4, classes: full.classes, perClass: full.perClass });
    const { classes: _, ...nameless } = full;
    expect(shownModelMetrics({ metrics: nameless })).toMatchObject({ perClass: undefined, confusion: undefined, accuracy: 0.75 });
    expect(shownModelMetrics({ metrics: { ...full, perClass: { round: full.perClass.round } } }).perClass).toBeUndefined();
    expect(shownModelMetrics({ metrics: "not an object" })).toEqual({});
    expect(shownModelMetrics({ metrics: [1, 2] })).toEqual({});
  });
});
