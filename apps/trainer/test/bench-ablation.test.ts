import { beforeAll, describe, expect, it } from "vitest";
import { seedSynthetic } from "@hiwl/catalog";
import { useTestDb } from "@hiwl/db/testing";
import { classificationMetrics, HIWL_CLASSES } from "@hiwl/model";
import { ABLATION_VARIANTS, formatAblationTable, macroF1, runAblation, type AblationRow } from "../src/bench/ablation.ts";

const t = useTestDb();

describe("ablation variants", () => {
  it("starts from HIWL in full and switches off one technique per row", () => {
    const [hiwl, ...others] = ABLATION_VARIANTS;
    const full = hiwl!.settings;
    expect(full).toEqual({ hierarchy: "hierarchical", weightedSampling: true, targets: "smooth" });
    const changed = others.map((v) =>
      Object.entries(v.settings)
        .filter(([key, value]) => full[key as keyof typeof full] !== value)
        .map(([key, value]) => `${key}=${String(value)}`),
    );
    expect(changed).toEqual([["hierarchy=flat"], ["weightedSampling=false"], ["targets=hard"], ["targets=votes"]]);
  });
});

describe("ablation table", () => {
  // round, in-between, cigar, edge-on, spiral: 2 each, one in-between called round and one spiral called edge-on.
  const metrics = classificationMetrics(HIWL_CLASSES, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], [0, 0, 0, 1, 2, 2, 3, 3, 3, 4]);

  it("averages F1 over the classes", () => {
    // F1: round 2/3·2·1/(2/3+1) = 0.8, in-between 2·1·0.5/1.5 = 2/3, cigar 1, edge-on 0.8, spiral 2/3.
    expect(macroF1(metrics)).toBeCloseTo((0.8 + 2 / 3 + 1 + 0.8 + 2 / 3) / 5, 12);
  });

  it("prints one Markdown row per variant with accuracy, macro F1, each class's recall and the training minutes", () => {
    const rows: AblationRow[] = [
      { variant: ABLATION_VARIANTS[0]!, metrics, testSetHash: "h", trainMinutes: 1.26 },
      { variant: ABLATION_VARIANTS[4]!, metrics, testSetHash: "h", trainMinutes: 0.5 },
    ];
    expect(formatAblationTable(rows).split("\n")).toEqual([
      "| variant | hierarchy | weighted sampling | targets | accuracy | macro F1 | round recall | in-between recall | cigar recall | edge-on recall | spiral recall | train min |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      "| HIWL | on | on | smooth | 80.0% | 78.7% | 100.0% | 50.0% | 100.0% | 100.0% | 50.0% | 1.3 |",
      "| vote targets | on | on | votes | 80.0% | 78.7% | 100.0% | 50.0% | 100.0% | 100.0% | 50.0% | 0.5 |",
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
      [ABLATION_VARIANTS[0]!, ABLATION_VARIANTS[1]!, ABLATION_VARIANTS[4]!],
    );
    expect(seen).toEqual(["HIWL", "no hierarchy", "vote targets"]);
    expect(new Set(rows.map((r) => r.testSetHash)).size).toBe(1);
    expect(new Set(rows.map((r) => r.metrics.count)).size).toBe(1);
    for (const row of rows) {
      expect(row.metrics.classes).toEqual([...HIWL_CLASSES]);
      const correct = row.metrics.confusion.reduce((sum, r, i) => sum + r[i]!, 0);
      expect(row.metrics.accuracy).toBeCloseTo(correct / row.metrics.count, 12);
      expect(row.trainMinutes).toBeGreaterThan(0);
    }
  });
});
