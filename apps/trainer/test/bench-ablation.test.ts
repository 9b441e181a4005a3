import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { seedSynthetic } from "@hiwl/catalog";
import { listModelVersions, modelVersionConfigOf } from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { classificationMetrics, HIWL_CLASSES } from "@hiwl/model";
import {
  ABLATION_VARIANTS,
  ablationVariantsNamed,
  DEFAULT_ABLATION_VARIANTS,
  formatAblationTable,
  macroF1,
  formatAblationSeeds,
  runAblation,
  type AblationRun,
} from "../src/bench/ablation.ts";
import { classifyWithModelDir } from "../src/training/evaluate.ts";
import { PRESETS } from "../src/training/presets.ts";
import { trainModel } from "../src/training/train.ts";

const t = useTestDb();
const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));

describe("ablation variants", () => {
  it("starts from the recipe as it is and changes one setting per row", () => {
    expect(ABLATION_VARIANTS.map((v) => [v.name, v.change])).toEqual([
      ["HIWL", {}],
      ["no hierarchy", { hierarchy: "flat" }],
      ["no weighted sampling", { weightedSampling: false }],
      ["hard targets", { targets: "hard" }],
      ["vote targets", { targets: "votes" }],
      ["any rotation", { rotationDegrees: 180 }],
    ]);
    // The ablation preset is HIWL in full, which the first row keeps.
    expect(PRESETS.ablation.training).toMatchObject({ hierarchy: "hierarchical", weightedSampling: true, targets: "smooth", rotationDegrees: 25, testViews: 1 });
    expect(DEFAULT_ABLATION_VARIANTS).toEqual(["HIWL", "no hierarchy", "no weighted sampling", "hard targets", "vote targets"]);
  });

  it("are picked by name, in the order given, and an unknown name is refused with the names there are", () => {
    expect(ablationVariantsNamed("any rotation, HIWL").map((v) => v.name)).toEqual(["any rotation", "HIWL"]);
    expect(() => ablationVariantsNamed("HIWL,no EMA")).toThrow(
      '--variants: no variant "no EMA"; there are "HIWL", "no hierarchy", "no weighted sampling", "hard targets", "vote targets", "any rotation"',
    );
  });
});

describe("hiwl bench ablation", () => {
  const bench = (...args: string[]) =>
    promisify(execFile)(process.execPath, [HIWL, "bench", "ablation", "--data-dir", t.dataDir, ...args], { timeout: 120_000 });

  it("refuses an unknown variant or starting model, or no seeds, by name before rendering the catalogue", async () => {
    await expect(bench("--variants", "HIWL,no EMA")).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--variants: no variant "no EMA"') });
    await expect(bench("--init-from", "nowhere")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no model directory or model version "nowhere"'),
    });
    await expect(bench("--preset", "fast")).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("Allowed choices are worker, paper") });
    await expect(bench("--seeds", "0")).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--seeds must be an integer >= 1, got "0"') });
  });
});

describe("ablation table", () => {
  // round, in-between, cigar, edge-on, spiral: 2 each, one in-between called round and one spiral called edge-on.
  const metrics = classificationMetrics(HIWL_CLASSES, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], [0, 0, 0, 1, 2, 2, 3, 3, 3, 4]);

  it("averages F1 over the classes", () => {
    // F1: round 2/3·2·1/(2/3+1) = 0.8, in-between 2·1·0.5/1.5 = 2/3, cigar 1, edge-on 0.8, spiral 2/3.
    expect(macroF1(metrics)).toBeCloseTo((0.8 + 2 / 3 + 1 + 0.8 + 2 / 3) / 5, 12);
  });

  // The same galaxies, one in-between and both spirals called otherwise: 6 of 10 right.
  const worse = classificationMetrics(HIWL_CLASSES, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], [0, 0, 0, 0, 2, 2, 3, 3, 3, 3]);
  const settings = { hierarchy: "hierarchical", weightedSampling: true, targets: "smooth", rotationDegrees: 25, testViews: 1 } as const;
  const [hiwl, anyRotation] = [ABLATION_VARIANTS[0]!, ABLATION_VARIANTS[5]!];
  const runs: AblationRun[] = [
    { variant: hiwl, seed: 0, settings, metrics, accuracyByViews: { 1: 0.8, 8: 0.9 }, testSetHash: "h", trainMinutes: 1.26 },
    { variant: anyRotation, seed: 0, settings: { ...settings, rotationDegrees: 180 }, metrics: worse, accuracyByViews: { 1: 0.6, 8: 0.8 }, testSetHash: "h", trainMinutes: 0.5 },
    { variant: hiwl, seed: 1, settings, metrics: worse, accuracyByViews: { 1: 0.6, 8: 0.7 }, testSetHash: "h", trainMinutes: 1.0 },
    { variant: anyRotation, seed: 1, settings: { ...settings, rotationDegrees: 180 }, metrics: worse, accuracyByViews: { 1: 0.6, 8: 0.6 }, testSetHash: "h", trainMinutes: 0.3 },
  ];

  it("prints one Markdown row per variant: its settings, then means over the seeds with their 95% intervals, and the difference from the first row paired by seed", () => {
    // Two seeds: mean ± t(1) 12.706 × sd / √2. HIWL at 1 view: 0.8 and 0.6, sd 0.1414, half-width 1.2706.
    // Any rotation against HIWL, seed by seed: 0.6 - 0.8 and 0.6 - 0.6, mean -0.1, the same half-width.
    // 8 views against 1: HIWL gains 0.1 on both seeds (no spread), any rotation 0.2 and 0.
    // Macro F1: 0.7867 (above) and 0.4667 (round 2/3, in-between 0, cigar 1, edge-on 2/3, spiral 0).
    expect(formatAblationTable(runs).split("\n")).toEqual([
      "| variant | hierarchy | weighted sampling | targets | rotation | test views | seeds | accuracy, 1 view | accuracy, 8 views | against the first row (points) | 8 views against 1 (points) | macro F1 | round recall | in-between recall | cigar recall | edge-on recall | spiral recall | train min |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      "| HIWL | on | on | smooth | ±25° | 1 | 2 | 70.0% (-57.1% to 197.1%) | 80.0% (-47.1% to 207.1%) |  | +10.0 (+10.0 to +10.0) | 62.7% | 100.0% | 25.0% | 100.0% | 100.0% | 25.0% | 1.1 |",
      "| any rotation | on | on | smooth | ±180° | 1 | 2 | 60.0% (60.0% to 60.0%) | 70.0% (-57.1% to 197.1%) | -10.0 (-137.1 to +117.1) | +10.0 (-117.1 to +137.1) | 46.7% | 100.0% | 0.0% | 100.0% | 100.0% | 0.0% | 0.4 |",
    ]);
    // One seed: the means alone.
    expect(formatAblationTable(runs.filter((r) => r.seed === 0)).split("\n").slice(2)).toEqual([
      "| HIWL | on | on | smooth | ±25° | 1 | 1 | 80.0% | 90.0% |  | +10.0 | 78.7% | 100.0% | 50.0% | 100.0% | 100.0% | 50.0% | 1.3 |",
      "| any rotation | on | on | smooth | ±180° | 1 | 1 | 60.0% | 80.0% | -20.0 | +20.0 | 46.7% | 100.0% | 0.0% | 100.0% | 100.0% | 0.0% | 0.5 |",
    ]);
  });

  it("prints each seed's accuracy per variant, with 1 view and with 8", () => {
    expect(formatAblationSeeds(runs).split("\n")).toEqual([
      "| seed | HIWL (1 / 8 views) | any rotation (1 / 8 views) |",
      "| --- | --- | --- |",
      "| 0 | 80.0% / 90.0% | 60.0% / 80.0% |",
      "| 1 | 60.0% / 70.0% | 60.0% / 60.0% |",
    ]);
  });
});

describe("runAblation", () => {
  beforeAll(async () => {
    await seedSynthetic(t.db, { count: 60, votes: 5, seed: "ablation-test", crowd: 20 }, t.dataDir);
  });

  it("trains each variant with each seed as configured and scores all of them on the same held-out galaxies", { timeout: 300_000 }, async () => {
    const seen: string[] = [];
    const rows = await runAblation(t.db, t.dataDir, { preset: "ablation", variant: "nano", inputSize: 32, batch: 8, epochs: 1, seed: 1, backend: "wasm" }, {
      variants: ablationVariantsNamed("HIWL,no hierarchy,any rotation"),
      seeds: [1, 2],
      onRun: (run) => seen.push(`${run.variant.name} ${run.seed}`),
    });
    // Seed by seed, so that an interrupted ablation has whole pairs.
    expect(seen).toEqual(["HIWL 1", "no hierarchy 1", "any rotation 1", "HIWL 2", "no hierarchy 2", "any rotation 2"]);
    expect(rows.map((r) => [r.settings.hierarchy, r.settings.rotationDegrees, r.settings.testViews])).toEqual([
      ["hierarchical", 25, 1],
      ["flat", 25, 1],
      ["hierarchical", 180, 1],
      ["hierarchical", 25, 1],
      ["flat", 25, 1],
      ["hierarchical", 180, 1],
    ]);
    // Each run's model is trained with its run's seed (these are the file's first models).
    const versions = await listModelVersions(t.db);
    expect(versions.map((v) => modelVersionConfigOf(v).seed).sort()).toEqual([1, 1, 1, 2, 2, 2]);
    expect(new Set(rows.map((r) => r.testSetHash)).size).toBe(1);
    expect(new Set(rows.map((r) => r.metrics.count)).size).toBe(1);
    for (const row of rows) {
      expect(row.metrics.classes).toEqual([...HIWL_CLASSES]);
      const correct = row.metrics.confusion.reduce((sum, r, i) => sum + r[i]!, 0);
      expect(row.metrics.accuracy).toBeCloseTo(correct / row.metrics.count, 12);
      expect(row.trainMinutes).toBeGreaterThan(0);
      // The model's own view count is the test pass's; the other is a fraction of the same galaxies.
      expect(row.accuracyByViews[1]).toBe(row.metrics.accuracy);
      const correctWith8 = row.accuracyByViews[8] * row.metrics.count;
      expect(correctWith8).toBeCloseTo(Math.round(correctWith8), 9);
    }
  });

  it("scores a saved model with views other than its own: 1 view reproduces the test pass, 8 average the turned and mirrored images", { timeout: 300_000 }, async () => {
    const result = await trainModel(t.db, t.dataDir, { preset: "ablation", variant: "nano", inputSize: 32, batch: 8, epochs: 1, seed: 2, classes: "hiwl", backend: "wasm" });
    const truth = result.test.map((g) => g.cls);
    const accuracy = (predicted: number[]) => predicted.filter((p, i) => p === truth[i]).length / truth.length;
    const one = await classifyWithModelDir(result.dir, result.test, t.dataDir, { views: 1 });
    expect(one.metadata.views).toBe(1);
    expect(accuracy(one.classified.predicted)).toBe(result.metrics.accuracy);
    const eight = await classifyWithModelDir(result.dir, result.test, t.dataDir, { views: 8 });
    expect(eight.metadata.views).toBe(8);
    // A network trained for one epoch is far from invariant to turns and mirrors: averaging the 8 views changes every probability.
    eight.classified.probabilities.forEach((p, i) => expect(p).not.toEqual(one.classified.probabilities[i]));
    for (const p of eight.classified.probabilities) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // The saved model is untouched: loaded again, it predicts from its own single view.
    expect((await classifyWithModelDir(result.dir, result.test, t.dataDir)).classified).toEqual(one.classified);
  });
});
