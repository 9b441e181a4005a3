import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { getFeatureMap, insertGalaxies, upsertPredictions } from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { loadModelDir } from "../src/training/model-dir.ts";
import { buildFeatureMap, featureMapSample } from "../src/worker/feature-map.ts";
import { featuresOf, predictGalaxies } from "../src/worker/scoring.ts";
import { useTrainedModel } from "./trained-model.ts";

const t = useTestDb();
const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));
const m = useTrainedModel(t, { count: 60, votes: 3, votedFraction: 0.5, seed: "feature-map", crowd: 10 });
/** The galaxies the version scored, by id; the last one's image is the first one's. */
let scored: number[];
/** Their pooled features, from the scoring pass. */
let features: Map<number, number[]>;

const mapOf = async () =>
  (await t.db.featurePoint.findMany({ where: { modelVersionId: m.version.id }, orderBy: { galaxyId: "asc" } })).map((p) => ({
    galaxyId: p.galaxyId,
    x: p.x,
    y: p.y,
  }));

beforeAll(async () => {
  // The same picture twice: identical pooled features, whatever the model learnt.
  const first = await t.db.galaxy.findFirstOrThrow({ orderBy: { id: "asc" } });
  await insertGalaxies(t.db, [{ externalId: "twin", source: "twin", imagePath: first.imagePath }]);
  // Two thirds of the catalogue scored: the map is of the scored galaxies only.
  const galaxies = (await t.db.galaxy.findMany({ orderBy: { id: "asc" } })).filter((g, i) => i % 3 !== 2 || g.source === "twin");
  scored = galaxies.map((g) => g.id);
  const model = await loadModelDir(m.dir);
  try {
    const embed = new Set(scored);
    const predictions = await predictGalaxies(model, m.pipeline, galaxies, { dataDir: t.dataDir, acquisition: null, passes: 1, embed });
    await upsertPredictions(t.db, m.version.id, predictions);
    features = featuresOf(predictions);
  } finally {
    model.dispose();
  }
});

describe("the feature map", () => {
  it("puts every scored galaxy on the map once, at finite coordinates, with identical images together", async () => {
    const phases = new Set<string>();
    // The scoring pass's own features: the same picture twice gives the same vector.
    expect(features.size).toBe(scored.length);
    expect(features.get(scored.at(-1)!)).toEqual(features.get(scored[0]!));
    const summary = await buildFeatureMap(t.db, m.version.id, features, scored.length, { seed: 7, onPhase: (phase) => phases.add(phase) });
    // nano: 1280 * 0.25 channels after the last convolution, pooled (level 1's, for the hierarchical model).
    expect(summary).toEqual({ points: scored.length, scored: scored.length, dimensions: 320 });
    // No inference here: the features came with the predictions.
    expect([...phases]).toEqual(["umap", "store points"]);

    const points = await mapOf();
    expect(points.map((p) => p.galaxyId)).toEqual(scored);
    expect(points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
    // Not collapsed onto a point or a line.
    const spread = (values: number[]) => Math.max(...values) - Math.min(...values);
    expect(spread(points.map((p) => p.x))).toBeGreaterThan(0.5);
    expect(spread(points.map((p) => p.y))).toBeGreaterThan(0.5);

    const [first, twin] = [points[0]!, points.at(-1)!];
    const distance = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);
    const others = points.slice(1, -1).map((p) => distance(first, p)).sort((a, b) => a - b);
    // Among the nearest tenth of the map's galaxies to its double.
    expect(distance(first, twin)).toBeLessThanOrEqual(others[Math.floor(others.length / 10)]!);

    // What the dashboard reads: the same points, coloured by this version's predictions.
    const predictions = await t.db.prediction.findMany({ where: { modelVersionId: m.version.id } });
    const predicted = new Map(predictions.map((p) => [p.galaxyId, p.predictedClass]));
    const shown = await getFeatureMap(t.db, m.version.id);
    expect(shown.map(({ galaxyId, x, y }) => ({ galaxyId, x, y }))).toEqual(points);
    expect(shown.every((p) => p.predicted === predicted.get(p.galaxyId))).toBe(true);
  });

  it("is the same map for the same seed, another for another seed, and a seeded sample under a limit", async () => {
    await buildFeatureMap(t.db, m.version.id, features, scored.length, { seed: 7 });
    const once = await mapOf();
    await buildFeatureMap(t.db, m.version.id, features, scored.length, { seed: 7 });
    expect(await mapOf()).toEqual(once);
    await buildFeatureMap(t.db, m.version.id, features, scored.length, { seed: 8 });
    expect(await mapOf()).not.toEqual(once);

    const sample = featureMapSample(scored, { seed: 7, limit: 12 });
    expect(sample.size).toBe(12);
    expect(scored).toEqual(expect.arrayContaining([...sample]));
    expect(featureMapSample(scored, { seed: 7, limit: 12 })).toEqual(sample);
    expect(featureMapSample(scored, { seed: 8, limit: 12 })).not.toEqual(sample);
    expect(featureMapSample(scored, { limit: scored.length + 5 })).toEqual(new Set(scored));
    expect(() => featureMapSample(scored, { limit: -1 })).toThrow(/limit must be an integer >= 0/);
    const limited = await buildFeatureMap(t.db, m.version.id, new Map([...features].filter(([id]) => sample.has(id))), scored.length);
    expect(limited).toMatchObject({ points: 12, scored: scored.length });
    expect((await mapOf()).map((p) => p.galaxyId)).toEqual([...sample].sort((a, b) => a - b));
  });

  it("is drawn by `hiwl predict` on the database after its predictions", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [HIWL, "predict", "--model", m.version.version, "--feature-map", "20", "--backend", "wasm"],
      { env: { ...process.env, HIWL_DATA_DIR: t.dataDir } },
    );
    const galaxies = await t.db.galaxy.count();
    // predict filled in the galaxies the version had no prediction for: the map is a sample of all of them now.
    expect(stdout).toContain(`feature map: 20 of ${galaxies} galaxies, UMAP of the 320 pooled features of the first network`);
    expect(await t.db.featurePoint.count({ where: { modelVersionId: m.version.id } })).toBe(20);
  });
});
