import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { calibrate, calibrationError, calibrationErrorFloor, confidenceWords, fitTemperature, measuredAccuracy, TEMPERATURE_RANGE } from "./calibration.ts";

/** Galaxies whose true classes are drawn from `truth` probabilities, seen by a model that reports calibrate(truth, 1 / overconfidence). */
function sample(n: number, overconfidence: number, seed: string) {
  const rng = createRng(seed);
  const truthProbabilities: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = [rng() * 3, rng() * 3, rng() * 3].map(Math.exp);
    const sum = e.reduce((a, b) => a + b, 0);
    const p = e.map((x) => x / sum);
    truthProbabilities.push(p);
    const u = rng();
    let k = 0;
    for (let acc = p[0]!; k < p.length - 1 && u >= acc; acc += p[++k]!);
    labels.push(k);
  }
  return { truthProbabilities, labels, reported: truthProbabilities.map((p) => calibrate(p, 1 / overconfidence)) };
}

describe("temperature scaling", () => {
  it("keeps the decided class and the total, softens above 1 and sharpens below", () => {
    const p = [0.7, 0.2, 0.1];
    expect(calibrate(p, 1)).toEqual(p);
    const soft = calibrate(p, 2);
    const sharp = calibrate(p, 0.5);
    for (const q of [soft, sharp]) {
      expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(q.indexOf(Math.max(...q))).toBe(0);
    }
    expect(soft[0]).toBeLessThan(0.7);
    expect(sharp[0]).toBeGreaterThan(0.7);
    // p^(1/2) renormalised, by hand.
    const roots = p.map(Math.sqrt);
    const sum = roots.reduce((a, b) => a + b, 0);
    soft.forEach((x, i) => expect(x).toBeCloseTo(roots[i]! / sum, 12));
    // A zero stays zero; a tiny probability does not underflow to NaN.
    expect(calibrate([1, 0, 0], 3)).toEqual([1, 0, 0]);
    expect(calibrate([1 - 1e-300, 1e-300, 0], 0.1).every(Number.isFinite)).toBe(true);
  });

  it("recovers the temperature that undoes a known overconfidence", () => {
    const { labels, reported, truthProbabilities } = sample(4000, 2.5, "calibration-fit");
    const t = fitTemperature(reported, labels);
    expect(t).toBeGreaterThan(2.1);
    expect(t).toBeLessThan(2.9);
    // Already calibrated probabilities need none.
    expect(fitTemperature(truthProbabilities, labels)).toBeGreaterThan(0.85);
    expect(fitTemperature(truthProbabilities, labels)).toBeLessThan(1.15);
    expect(fitTemperature([], [])).toBe(1);
    // Always-right, sure predictions want the sharpest temperature the search allows.
    expect(fitTemperature([[0.6, 0.4], [0.3, 0.7]], [0, 1])).toBeCloseTo(TEMPERATURE_RANGE[0], 2);
    expect(() => fitTemperature([[1, 0]], [])).toThrow(/1 predictions but 0 true classes/);
  });

  it("measures the expected calibration error from the confidence bins, and calibration lowers it", () => {
    // Two bins used: confidence 0.9 (right 1 of 2) and 0.6 (right 2 of 2).
    const report = calibrationError([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]], [0, 0, 0, 1], 10);
    expect(report.bins).toHaveLength(10);
    expect(report.bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(report.bins[9]!.confidence).toBeCloseTo(0.9, 12);
    expect(report.bins[6]).toMatchObject({ count: 2, accuracy: 1 });
    expect(report.ece).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.4, 12);
    expect(calibrationError([[1, 0]], [0], 15).bins[14]).toMatchObject({ count: 1, confidence: 1, accuracy: 1 });

    const { labels, reported } = sample(4000, 2.5, "calibration-ece");
    const before = calibrationError(reported, labels).ece;
    const t = fitTemperature(reported, labels);
    const after = calibrationError(reported.map((p) => calibrate(p, t)), labels).ece;
    expect(before).toBeGreaterThan(0.08);
    expect(after).toBeLessThan(0.03);
  });

  it("measures the error a perfectly calibrated model would still show on few galaxies", () => {
    const bin = (count: number, confidence: number) => ({ lower: 0, upper: 1, count, confidence, accuracy: confidence });
    // One galaxy at 0.5 is always half wrong.
    expect(calibrationErrorFloor([bin(1, 0.5)])).toEqual({ mean: 0.5, p95: 0.5 });
    // 100 galaxies at 0.9: E|k/100 - 0.9| for k ~ Binomial(100, 0.9), about 0.03 x sqrt(2 / pi) = 0.024.
    const hundred = calibrationErrorFloor([bin(100, 0.9)], 2000);
    expect(hundred.mean).toBeGreaterThan(0.021);
    expect(hundred.mean).toBeLessThan(0.027);
    expect(hundred.p95).toBeGreaterThan(hundred.mean);
    // Ten times the galaxies, a third of the noise.
    expect(calibrationErrorFloor([bin(1000, 0.9)], 500).mean).toBeLessThan(0.01);
    expect(calibrationErrorFloor([])).toEqual({ mean: 0, p95: 0 });
  });

  it("puts a confidence in words, and quotes a reliability bin only when enough test galaxies fell in it", () => {
    expect([0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.34].map(confidenceWords)).toEqual([
      "almost certainly",
      "almost certainly",
      "very likely",
      "very likely",
      "probably",
      "probably",
      "perhaps",
      "perhaps",
    ]);
    const confidences = [...Array<number>(12).fill(0.97), ...Array<number>(3).fill(0.7)];
    const { bins } = calibrationError(
      confidences.map((c) => [c, 1 - c]),
      confidences.map((_, i) => (i === 0 ? 1 : 0)),
      10,
    );
    expect(measuredAccuracy(0.93, bins)).toEqual({ lower: 0.9, upper: 1, accuracy: 11 / 12, galaxies: 12 });
    expect(measuredAccuracy(1, bins)).toMatchObject({ galaxies: 12 });
    expect(measuredAccuracy(0.75, bins)).toBeNull(); // 3 galaxies
    expect(measuredAccuracy(0.75, [])).toBeNull();
  });
});
