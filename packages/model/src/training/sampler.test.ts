import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { classBalancedWeights, sampleWithReplacement, shuffledEpoch, weightedEpoch } from "./sampler.ts";

describe("sampling", () => {
  const labels = [...Array<string>(900).fill("round"), ...Array<string>(90).fill("edge-on"), ...Array<string>(10).fill("cigar")];

  it("weighs each sample by 1 / its class size", () => {
    expect(classBalancedWeights(["a", "b", "a", "c", "a"])).toEqual([1 / 3, 1, 1 / 3, 1, 1 / 3]);
  });

  it("draws a class-balanced epoch as long as the dataset, with replacement", () => {
    const epoch = weightedEpoch(labels, createRng(1));
    expect(epoch).toHaveLength(labels.length);
    const counts = new Map<string, number>();
    for (const i of epoch) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
    const expected = labels.length / 3;
    const chi2 = [...counts.values()].reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    expect(counts.size).toBe(3);
    // Two degrees of freedom: 13.8 is the 0.1% tail.
    expect(chi2).toBeLessThan(13.8);
    const cigarDraws = epoch.filter((i) => labels[i] === "cigar");
    expect(new Set(cigarDraws).size).toBeLessThanOrEqual(10);
  });

  it("replays with the same seed and differs with another", () => {
    expect(weightedEpoch(labels, createRng(42))).toEqual(weightedEpoch(labels, createRng(42)));
    expect(weightedEpoch(labels, createRng(42))).not.toEqual(weightedEpoch(labels, createRng(43)));
    expect(shuffledEpoch(50, createRng(42))).toEqual(shuffledEpoch(50, createRng(42)));
    expect(shuffledEpoch(50, createRng(42))).not.toEqual(shuffledEpoch(50, createRng(43)));
  });

  it("never draws a zero-weight sample and rejects bad weights", () => {
    const draws = sampleWithReplacement([0, 1, 0, 3], 2000, createRng(3));
    expect(new Set(draws)).toEqual(new Set([1, 3]));
    const threes = draws.filter((i) => i === 3).length;
    expect(threes / draws.length).toBeGreaterThan(0.7);
    expect(threes / draws.length).toBeLessThan(0.8);
    expect(() => sampleWithReplacement([0, 0], 1, createRng(1))).toThrow(/positive/);
    expect(() => sampleWithReplacement([1, -1], 1, createRng(1))).toThrow(/>= 0/);
  });

  it("shuffles into a permutation", () => {
    const order = shuffledEpoch(100, createRng(5));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(order).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
