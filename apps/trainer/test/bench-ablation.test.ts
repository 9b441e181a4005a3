import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { seedSynthetic } from "@hiwl/catalog";
import { useTestDb } from "@hiwl/db/testing";
import { classificationMetrics, HIWL_CLASSES } from "@hiwl/model";
import {
  ABLATION_VARIANTS,
  ablationVariantsNamed,
  DEFAULT_ABLATION_VARIANTS,
  formatAblationTable,
  macroF1,
  runAblation,
  type AblationRow,
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

  it("refuses an unknown variant or starting model by name before rendering the catalogue", async () => {
    await expect(bench("--variants", "HIWL,no EMA")).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--variants: no variant "no EMA"') });
    await expect(bench("--init-from", "nowhere")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no model directory or model version "nowhere"'),
    });
    await expect(bench("--preset", "fast")).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("Allowed choices are worker, paper") });
  });
});

describe("ablation table", () => {
  // round, in-between, cigar, edge-on, spiral: 2 each, one in-between called round and one spiral called edge-on.
  const metrics = classificationMetrics(HIWL_CLASSES, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], [0, 0, 0, 1, 2, 2, 3, 3, 3, 4]);

  it("averages F1 over the classes", () => {
    // F1: round 2/3·2·1/(2/3+1) = 0.8, in-between 2·1·0.5/1.5 = 2/3, cigar 1, edge-on 0.8, spiral 2/3.
    expect(macroF1(metrics)).toBeCloseTo((0.8 + 2 / 3 + 1 + 0.8 + 2 / 3) / 5, 12);
  });

  it("prints one Markdown row per variant with its settings, accuracy with 1 and 8 views, macro F1, each class's recall and the training minutes", () => {
    const settings = { hierarchy: "hierarchical", weightedSampling: true, targets: "smooth", rotationDegrees: 25, testViews: 1 } as const;
    const rows: AblationRow[] = [
      { variant: ABLATION_VARIANTS[0]!, settings, metrics, accuracyByViews: { 1: 0.8, 8: 0.9 }, testSetHash: "h", trainMinutes: 1.26 },
      {
        variant: ABLATION_VARIANTS[5]!,
        settings: { ...settings, targets: "votes", rotationDegrees: 180, testViews: 8 },
        metrics,
        accuracyByViews: { 1: 0.7, 8: 0.8 },
        testSetHash: "h",
        trainMinutes: 0.5,
      },
    ];
    expect(formatAblationTable(rows).split("\n")).toEqual([
      "| variant | hierarchy | weighted sampling | targets | rotation | test views | accuracy, 1 view | accuracy, 8 views | macro F1 | round recall | in-between recall | cigar recall | edge-on recall | spiral recall | train min |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      "| HIWL | on | on | smooth | ±25° | 1 | 80.0% | 90.0% | 78.7% | 100.0% | 50.0% | 100.0% | 100.0% | 50.0% | 1.3 |",
      "| any rotation | on | on | votes | ±180° | 8 | 70.0% | 80.0% | 78.7% | 100.0% | 50.0% | 100.0% | 100.0% | 50.0% | 0.5 |",
    ]);
  });
});

describe("runAblation", () => {
  beforeAll(async () => {
    await seedSynthetic(t.db, { count: 60, votes: 5, seed: "ablation-test", crowd: 20 }, t.dataDir);
  });

  it("trains each variant as configured and scores all of them on the same held-out galaxies", { timeout: 300_000 }, async () => {
    const seen: string[] = [];
    const rows = await runAblation(
      t.db,
      t.dataDir,
      { preset: "ablation", variant: "nano", inputSize: 32, batch: 8, epochs: 1, seed: 1, backend: "wasm" },
      {},
      (row) => seen.push(row.variant.name),
      ablationVariantsNamed("HIWL,no hierarchy,any rotation"),
    );
    expect(seen).toEqual(["HIWL", "no hierarchy", "any rotation"]);
    expect(rows.map((r) => [r.settings.hierarchy, r.settings.rotationDegrees, r.settings.testViews])).toEqual([
      ["hierarchical", 25, 1],
      ["flat", 25, 1],
      ["hierarchical", 180, 1],
    ]);
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
