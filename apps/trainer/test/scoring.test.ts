import { afterAll, describe, expect, it } from "vitest";
import {
  activateWithScores,
  activeGalaxiesForScoring,
  createModelVersion,
  getActiveModelVersion,
  getGalaxy,
  retireGalaxies,
  retireGalaxy,
  upsertPredictions,
} from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { DEFAULT_RETIREMENT, expectedVotesToRetire, HIWL_CLASSES, retirementReason, type RetirementRules } from "@hiwl/model";
import { loadModelDir, type LoadedModel } from "../src/training/model-dir.ts";
import { predictGalaxies, scoreActiveGalaxies } from "../src/worker/scoring.ts";
import { useTrainedModel } from "./trained-model.ts";

const t = useTestDb();
const m = useTrainedModel(t, { count: 60, votes: 5, votedFraction: 0.5, seed: "scoring", crowd: 20 });
const loaded: LoadedModel[] = [];

const load = async () => {
  const model = await loadModelDir(m.dir);
  loaded.push(model);
  return model;
};
const galaxyIds = async () => (await t.db.galaxy.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((g) => g.id);
const weightsOf = (model: LoadedModel) =>
  Object.values(model.networks).flatMap((network) => network.getWeights().map((w) => Array.from(w.dataSync())));

afterAll(() => {
  for (const model of loaded) model.dispose();
});

describe("scoring the active galaxies", () => {
  // Lenient enough that this small catalogue retires galaxies for each reason.
  const rules: RetirementRules = { ...DEFAULT_RETIREMENT, count: 6, consensusShare: 0.8, modelConfidence: 0.25 };

  it("scores every active galaxy (BALD from MC dropout, priorities from the scores, retirements by the rules) and activateWithScores stores it", async () => {
    const [flagged, ...active] = await galaxyIds();
    await retireGalaxy(t.db, flagged!, "flagged");
    // A sixth classification for one galaxy: retired on count.
    const counted = (await t.db.galaxy.findFirstOrThrow({ where: { classificationCount: 5 }, orderBy: { id: "desc" } })).id;
    await t.db.galaxy.update({ where: { id: counted }, data: { classificationCount: 6 } });

    const model = await load();
    const before = weightsOf(model);
    const priorities = await t.db.galaxy.findMany({ select: { priority: true, retiredAt: true }, orderBy: { id: "asc" } });
    const run = await scoreActiveGalaxies(t.db, model, m.version.id, m.pipeline, {
      dataDir: t.dataDir,
      acquisition: "bald",
      passes: 4,
      retirement: rules,
    });
    // MC passes leave the model as it was (batch norm kept its moving statistics).
    expect(weightsOf(model)).toEqual(before);
    // Scoring alone writes nothing: the run takes effect with the activation.
    expect(await t.db.prediction.count()).toBe(0);
    expect(await t.db.galaxy.findMany({ select: { priority: true, retiredAt: true }, orderBy: { id: "asc" } })).toEqual(priorities);
    expect(await getActiveModelVersion(t.db)).toBeNull();
    const { summary } = run;
    const retiredNow = Object.values(summary.retired).reduce((a, b) => a + b, 0);
    expect(await activateWithScores(t.db, m.version.id, run.scores)).toEqual({
      predictions: active.length,
      priorities: active.length,
      retired: retiredNow,
    });
    expect((await getActiveModelVersion(t.db))?.id).toBe(m.version.id);

    const predictions = await t.db.prediction.findMany({ where: { modelVersionId: m.version.id }, orderBy: { galaxyId: "asc" } });
    expect(predictions.map((p) => p.galaxyId)).toEqual(active);
    expect(summary.scored).toBe(active.length);
    for (const p of predictions) {
      const probabilities = [p.pRound, p.pInBetween, p.pCigar, p.pEdgeOn, p.pSpiral];
      expect(probabilities.every((x) => x >= 0 && x <= 1)).toBe(true);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(HIWL_CLASSES).toContain(p.predictedClass);
    }
    const scores = predictions.map((p) => p.acquisition!);
    // BALD is 0 (to rounding) when every pass agrees: clearly positive scores show that they differ.
    expect(scores.filter((s) => s > 1e-8).length).toBeGreaterThan(active.length / 2);
    expect(summary.acquisition!.min).toBeCloseTo(Math.min(...scores), 12);
    expect(summary.acquisition!.max).toBeCloseTo(Math.max(...scores), 12);

    const galaxies = await t.db.galaxy.findMany({ where: { id: { in: active } }, orderBy: { id: "asc" } });
    const spread = Math.max(...scores) - Math.min(...scores);
    galaxies.forEach((g, i) => {
      expect(g.priority - scores[i]!).toBeGreaterThanOrEqual(0);
      expect(g.priority - scores[i]!).toBeLessThanOrEqual(0.02 * spread);
    });
    const top = galaxies.reduce((a, b) => (b.priority > a.priority ? b : a));
    expect(scores[galaxies.indexOf(top)]).toBeGreaterThanOrEqual(Math.max(...scores) - 0.02 * spread);

    const reasons = new Map<string, number>();
    for (const [i, g] of galaxies.entries()) {
      const p = predictions[i]!;
      const detail = (await getGalaxy(t.db, g.id))!;
      const expected = retirementReason(
        {
          classifications: g.classificationCount,
          voteFractions: detail.voteFractions,
          prediction: { round: p.pRound, "in-between": p.pInBetween, cigar: p.pCigar, "edge-on": p.pEdgeOn, spiral: p.pSpiral },
          acquisition: p.acquisition,
        },
        rules,
      );
      expect(g.retirementReason).toBe(expected);
      expect(g.retiredAt === null).toBe(expected === null);
      if (expected) reasons.set(expected, (reasons.get(expected) ?? 0) + 1);
    }
    expect(Object.fromEntries(reasons)).toEqual(summary.retired);
    expect([...reasons.keys()].sort()).toEqual(["consensus", "count", "model-confident"]);
    expect((await t.db.galaxy.findUniqueOrThrow({ where: { id: counted } })).retirementReason).toBe("count");
    expect((await t.db.galaxy.findUniqueOrThrow({ where: { id: flagged! } })).retirementReason).toBe("flagged");
  });

  it("orders the queue per expected vote to retirement when asked, with the same scores and retirements", async () => {
    const model = await load();
    const options = { dataDir: t.dataDir, acquisition: "margin" as const, passes: 1, retirement: rules };
    const plain = await scoreActiveGalaxies(t.db, model, m.version.id, m.pipeline, options);
    const perVote = await scoreActiveGalaxies(t.db, model, m.version.id, m.pipeline, { ...options, perVote: true });
    const kept = (run: typeof plain) => run.scores.map((s) => [s.galaxyId, s.acquisition, s.retirement]);
    expect(kept(perVote)).toEqual(kept(plain));
    const galaxies = await activeGalaxiesForScoring(t.db);
    expect(perVote.scores.map((s) => s.galaxyId)).toEqual(galaxies.map((g) => g.id));
    const costs = perVote.scores.map((s, i) =>
      expectedVotesToRetire(
        { classifications: galaxies[i]!.classificationCount, voteFractions: galaxies[i]!.voteFractions, prediction: s.probabilities, acquisition: s.acquisition },
        rules,
      ),
    );
    // Galaxies differ in what they cost (fresh ones up to the count of 6, others a vote or two), so the order is not margin's.
    expect(Math.max(...costs) - Math.min(...costs)).toBeGreaterThan(2);
    const ratios = perVote.scores.map((s, i) => s.acquisition / Math.max(1, costs[i]!));
    const spread = Math.max(...ratios) - Math.min(...ratios);
    perVote.scores.forEach((s, i) => {
      expect(s.priority - ratios[i]!).toBeGreaterThanOrEqual(0);
      expect(s.priority - ratios[i]!).toBeLessThanOrEqual(0.02 * spread);
    });
    const order = (run: typeof plain) => [...run.scores].sort((a, b) => b.priority - a.priority).map((s) => s.galaxyId);
    expect(order(perVote)).not.toEqual(order(plain));
  });

  it("predicts without MC dropout the same every time, as `hiwl predict` needs", async () => {
    const galaxies = await activeGalaxiesForScoring(t.db, { take: 6 });
    const options = { dataDir: t.dataDir, acquisition: null, passes: 1 };
    const once = await predictGalaxies(await load(), m.pipeline, galaxies, options);
    expect(once.map((p) => p.galaxyId)).toEqual(galaxies.map((g) => g.id));
    expect(once.every((p) => p.acquisition === null)).toBe(true);
    expect(await predictGalaxies(await load(), m.pipeline, galaxies, options)).toEqual(once);
    await expect(predictGalaxies(await load(), m.pipeline, galaxies, { ...options, acquisition: "bald" })).rejects.toThrow(
      "BALD needs at least 2 passes",
    );
  });
});

describe("the stored prediction", () => {
  it("is the model's deterministic one whatever passes the acquisition samples, as the browser computes it", async () => {
    const galaxies = await activeGalaxiesForScoring(t.db, { take: 6 });
    const plain = await predictGalaxies(await load(), m.pipeline, galaxies, { dataDir: t.dataDir, acquisition: null, passes: 1 });
    const bald = await predictGalaxies(await load(), m.pipeline, galaxies, { dataDir: t.dataDir, acquisition: "bald", passes: 3 });
    expect(bald.map((p) => [p.probabilities, p.predictedClass])).toEqual(plain.map((p) => [p.probabilities, p.predictedClass]));
    // Each galaxy's class is its most probable one: the page's longest bar.
    for (const p of plain) expect(p.predictedClass).toBe(Object.entries(p.probabilities).reduce((a, b) => (b[1] > a[1] ? b : a))[0]);
    // The passes disagree, so BALD measures something.
    expect(bald.every((p) => p.acquisition! >= 0)).toBe(true);
    expect(new Set(bald.map((p) => p.acquisition)).size).toBeGreaterThan(1);
  });
});

describe("the scoring queries", () => {
  it("lists the active galaxies with their vote fractions, optionally the first few or of one source", async () => {
    const galaxies = await activeGalaxiesForScoring(t.db);
    const active = await t.db.galaxy.findMany({ where: { retiredAt: null }, orderBy: { id: "asc" } });
    expect(galaxies.map((g) => g.id)).toEqual(active.map((g) => g.id));
    for (const g of galaxies) {
      const detail = (await getGalaxy(t.db, g.id))!;
      expect(g).toEqual({
        id: detail.id,
        imagePath: detail.imagePath,
        classificationCount: detail.classificationCount,
        voteFractions: detail.voteFractions,
      });
    }
    expect((await activeGalaxiesForScoring(t.db, { take: 3 })).map((g) => g.id)).toEqual(active.slice(0, 3).map((g) => g.id));
    expect(await activeGalaxiesForScoring(t.db, { source: "elsewhere" })).toEqual([]);
    expect(await activeGalaxiesForScoring(t.db, { source: "synthetic" })).toEqual(galaxies);
  });

  it("activates a version with its predictions, priorities and retirements; the first retirement stands", async () => {
    const other = await createModelVersion(t.db, { version: "other", path: "/nowhere", config: {}, metrics: {} });
    const [a, b] = (await activeGalaxiesForScoring(t.db, { take: 2 })).map((g) => g.id);
    const probabilities = { round: 0.5, "in-between": 0.2, cigar: 0.1, "edge-on": 0.1, spiral: 0.1 };
    // An inactive version's predictions are stored but never shown: pages read the active version's.
    const shown = (await getGalaxy(t.db, a!))!.activePrediction;
    expect(shown?.modelVersionId).toBe(m.version.id);
    await upsertPredictions(t.db, other.id, [{ galaxyId: a!, probabilities, predictedClass: "round" }]);
    expect((await getGalaxy(t.db, a!))!.activePrediction).toEqual(shown);

    const written = await activateWithScores(t.db, other.id, [
      { galaxyId: a!, probabilities, predictedClass: "round", acquisition: 0.7, priority: 0.71, retirement: null },
      { galaxyId: b!, probabilities, predictedClass: "round", acquisition: 0.2, priority: 0.2, retirement: "consensus" },
    ]);
    expect(written).toEqual({ predictions: 2, priorities: 2, retired: 1 });
    expect((await getActiveModelVersion(t.db))?.id).toBe(other.id);
    expect((await getGalaxy(t.db, a!))!.activePrediction).toMatchObject({ modelVersionId: other.id, pRound: 0.5, acquisition: 0.7 });
    const rows = await t.db.prediction.findMany({ where: { modelVersionId: other.id }, orderBy: { galaxyId: "asc" } });
    expect(rows.map((r) => [r.galaxyId, r.pRound, r.acquisition])).toEqual([
      [a, 0.5, 0.7],
      [b, 0.5, 0.2],
    ]);
    const [ga, gb] = await Promise.all([a, b].map((id) => t.db.galaxy.findUniqueOrThrow({ where: { id: id! } })));
    expect([ga!.priority, ga!.retiredAt, gb!.priority, gb!.retirementReason]).toEqual([0.71, null, 0.2, "consensus"]);
    expect(await retireGalaxies(t.db, [{ galaxyId: b!, reason: "count" }, { galaxyId: a!, reason: "count" }])).toBe(1);
    expect((await t.db.galaxy.findUniqueOrThrow({ where: { id: b! } })).retiredAt).toEqual(gb!.retiredAt);
    expect((await getGalaxy(t.db, b!))!.retirementReason).toBe("consensus");
    expect((await getGalaxy(t.db, a!))!.retirementReason).toBe("count");
  });
});
