import { describe, expect, it } from "vitest";
import { accuracyByCoverage, classificationMetrics, formatCoverage, formatMetrics } from "./metrics.ts";

describe("classification metrics", () => {
  it("matches a hand-computed confusion matrix", () => {
    // truth:     a a a a b b c c c c
    // predicted: a a b c b b c c a c
    const m = classificationMetrics(["a", "b", "c"], [0, 0, 0, 0, 1, 1, 2, 2, 2, 2], [0, 0, 1, 2, 1, 1, 2, 2, 0, 2]);
    expect(m.confusion).toEqual([
      [2, 1, 1],
      [0, 2, 0],
      [1, 0, 3],
    ]);
    expect(m.accuracy).toBeCloseTo(0.7, 12);
    expect(m.perClass.a).toEqual({ precision: 2 / 3, recall: 0.5, f1: (2 * (2 / 3) * 0.5) / (2 / 3 + 0.5), support: 4 });
    expect(m.perClass.b!.precision).toBeCloseTo(2 / 3, 12);
    expect(m.perClass.b!.recall).toBe(1);
    expect(m.perClass.c!.f1).toBeCloseTo(0.75, 12);
    expect(formatMetrics(m)).toContain("overall accuracy 70.00% on 10 held-out galaxies");
  });

  it("handles a class that is never predicted or absent, and empty input", () => {
    const m = classificationMetrics(["a", "b"], [0, 0], [0, 0]);
    expect(m.perClass.b).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(classificationMetrics(["a"], [], []).accuracy).toBe(0);
    expect(() => classificationMetrics(["a"], [0], [])).toThrow(/1 true labels but 0 predictions/);
    expect(() => classificationMetrics(["a"], [1], [0])).toThrow(/out of range/);
  });
});

describe("accuracy by coverage", () => {
  // Confidence of the decided class: 0.9 right, 0.8 right, 0.7 wrong, 0.6 right, 0.5 wrong.
  const probabilities = [
    [0.9, 0.1],
    [0.2, 0.8],
    [0.7, 0.3],
    [0.4, 0.6],
    [0.5, 0.5],
  ];
  const decisions = [0, 1, 0, 1, 0];
  const truth = [0, 1, 1, 1, 1];

  it("keeps the galaxies the model is surest of and scores them", () => {
    const points = accuracyByCoverage(probabilities, decisions, truth, [1, 0.6, 0.4, 0.1]);
    expect(points.map((p) => [p.count, p.minConfidence, p.accuracy])).toEqual([
      [5, 0.5, 0.6],
      [3, 0.7, 2 / 3],
      [2, 0.8, 1],
      // Never fewer than one galaxy.
      [1, 0.9, 1],
    ]);
    expect(formatCoverage(points)).toContain("   40.0%         2           0.800    100.0%");
  });

  it("refuses mismatched inputs and coverages outside (0, 1]", () => {
    expect(accuracyByCoverage([], [], [])).toEqual([]);
    expect(() => accuracyByCoverage(probabilities, decisions, [0])).toThrow(/1 true labels, 5 decisions and 5 probability rows/);
    expect(() => accuracyByCoverage(probabilities, decisions, truth, [0])).toThrow(/coverage must be in \(0, 1\], got 0/);
  });
});
