import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { calibrate, calibrationError, fitTemperature, TEMPERATURE_RANGE } from "./calibration.ts";

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
});
