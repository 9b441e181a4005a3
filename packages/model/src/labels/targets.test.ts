import { describe, expect, it } from "vitest";
import { ANSWER_IDS } from "../tree/decision-tree.ts";
import { oneHot, smoothTarget, trainingTarget, type GalaxyLabels } from "./targets.ts";

function votes(values: Record<string, number>): number[] {
  return ANSWER_IDS.map((id) => values[id] ?? 0);
}

function expectVector(actual: number[] | null, expected: number[]): void {
  expect(actual).not.toBeNull();
  expect(actual).toHaveLength(expected.length);
  actual!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 10));
}

// Smooth 0.8 (round 0.25, in-between 0.25, cigar 0.5), disk 0.2 (edge-on 0.75, face-on 0.25):
// the crowd distribution is round 0.2, in-between 0.2, cigar 0.4, edge-on 0.15, spiral 0.05.
const mixed = votes({ "1.1": 0.8, "1.2": 0.2, "7.1": 0.2, "7.2": 0.2, "7.3": 0.4, "2.1": 0.15, "2.2": 0.05 });
const pureSpiral = votes({ "1.2": 1, "2.2": 1, "4.1": 1 });
const edgeOn: GalaxyLabels = { label: "edge-on", votes: null };
const third = 0.05 / 3;

describe("training targets", () => {
  it("hard: one-hot of the class at each level", () => {
    expectVector(trainingTarget(edgeOn, "hard"), [0, 0, 0, 1, 0]);
    expectVector(trainingTarget(edgeOn, "hard", "level1"), [0, 0, 1, 0]);
    expectVector(trainingTarget(edgeOn, "hard", "level2"), [0, 1]);
    expect(trainingTarget({ label: "round", votes: null }, "hard", "level2")).toBeNull();
    expect(trainingTarget({ label: null, votes: mixed }, "hard")).toBeNull();
  });

  it("smooth: HIWL label smoothing with each level's own class count", () => {
    expectVector(trainingTarget(edgeOn, "smooth"), [0.0125, 0.0125, 0.0125, 0.95, 0.0125]);
    expectVector(trainingTarget(edgeOn, "smooth", "level1"), [third, third, 0.95, third]);
    expectVector(trainingTarget(edgeOn, "smooth", "level2"), [0.05, 0.95]);
  });

  it("votes: the crowd distribution per level, floored", () => {
    const galaxy: GalaxyLabels = { label: null, votes: mixed };
    expectVector(trainingTarget(galaxy, "votes"), [0.2, 0.2, 0.4, 0.15, 0.05]);
    expectVector(trainingTarget(galaxy, "votes", "level1"), [0.2, 0.2, 0.55, 0.05]);
    expectVector(trainingTarget(galaxy, "votes", "level2"), [0.4 / 0.55, 0.15 / 0.55]);
    // A unanimous crowd is clamped like a one-hot.
    expectVector(trainingTarget({ label: "spiral", votes: pureSpiral }, "votes"), [0.0125, 0.0125, 0.0125, 0.0125, 0.95]);
  });

  it("votes: level 2 takes a galaxy by its label, else by its most voted class", () => {
    expect(trainingTarget({ label: "round", votes: mixed }, "votes", "level2")).toBeNull();
    expect(trainingTarget({ label: null, votes: pureSpiral }, "votes", "level2")).toBeNull();
  });

  it("votes: falls back to the smoothed label without usable votes", () => {
    expectVector(trainingTarget(edgeOn, "votes"), [0.0125, 0.0125, 0.0125, 0.95, 0.0125]);
    const starOnly = votes({ "1.3": 1 });
    expectVector(trainingTarget({ label: "edge-on", votes: starOnly }, "votes", "level2"), [0.05, 0.95]);
    expect(trainingTarget({ label: null, votes: starOnly }, "votes")).toBeNull();
    expect(trainingTarget({ label: null, votes: null }, "votes")).toBeNull();
  });
});

describe("label smoothing", () => {
  it("clamps a one-hot target to [eps/(K-1), 1-eps]", () => {
    const expectClose = (got: number[], want: number[]) => got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
    expectClose(smoothTarget(oneHot(2, 5)), [0.0125, 0.0125, 0.95, 0.0125, 0.0125]);
    expectClose(smoothTarget(oneHot(0, 2)), [0.95, 0.05]);
  });

  it("floors a crowd distribution and keeps it normalised", () => {
    const t = smoothTarget([0.7, 0.3, 0, 0, 0]);
    expect(t.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(Math.min(...t)).toBeGreaterThan(0);
    expect(t[0]! / t[1]!).toBeCloseTo(0.7 / 0.3, 12);
    expect(() => smoothTarget([1])).toThrow();
  });
});
