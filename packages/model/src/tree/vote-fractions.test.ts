import { describe, expect, it } from "vitest";
import { ANSWER_IDS } from "./decision-tree.ts";

/** The named fractions of a vector, compared as one object so a failure shows them all. */
function expectFractions(f: readonly number[], expected: Record<string, number>): void {
  expect(Object.fromEntries(Object.keys(expected).map((id) => [id, fraction(f, id)]))).toEqual(expected);
}
import { chainedFractions, checkCumulative, conditionalFractions, countAnswers, cumulativeFractions, fraction } from "./vote-fractions.ts";

const walks = {
  round: ["1.1", "7.1", "6.2"],
  cigarOdd: ["1.1", "7.3", "6.1", "8.6"],
  edgeOn: ["1.2", "2.1", "9.2", "6.2"],
  spiral: ["1.2", "2.2", "3.2", "4.1", "10.1", "11.2", "5.2", "6.2"],
  star: ["1.3"],
};

const vectorOf = (values: Record<string, number>) => ANSWER_IDS.map((id) => values[id] ?? 0);

describe("cumulative vote fractions (Kaggle convention)", () => {
  it("is all zeros without votes", () => {
    const { counts, total } = countAnswers([]);
    expect(cumulativeFractions(counts, total)).toEqual(new Array(37).fill(0));
    expect(conditionalFractions(new Array(37).fill(0))).toEqual(new Array(37).fill(0));
  });

  it("gives a single vote's path the value 1", () => {
    const { counts, total } = countAnswers([walks.spiral]);
    const f = cumulativeFractions(counts, total);
    expect(f).toEqual(vectorOf(Object.fromEntries(walks.spiral.map((id) => [id, 1]))));
    expect(checkCumulative(f)).toEqual([]);
  });

  it("matches a hand-computed mix of four walks", () => {
    // round, cigar+merger, edge-on, spiral: each question's share of the four volunteers.
    const { counts, total } = countAnswers([walks.round, walks.cigarOdd, walks.edgeOn, walks.spiral]);
    const f = cumulativeFractions(counts, total);
    expectFractions(f, { "1.1": 0.5, "1.2": 0.5, "7.1": 0.25, "7.3": 0.25, "2.1": 0.25, "4.1": 0.25, "6.1": 0.25, "6.2": 0.75, "8.6": 0.25 });
    expect(checkCumulative(f)).toEqual([]);
  });

  it("normalises Q6 (and Q8 with it) over the volunteers who reached it: the Kaggle quirk", () => {
    // Two stars never reach Q6; of the two who did, one saw something odd (a merger).
    const { counts, total } = countAnswers([walks.star, walks.star, walks.round, walks.cigarOdd]);
    const f = cumulativeFractions(counts, total);
    expectFractions(f, { "1.3": 0.5, "1.1": 0.5, "7.1": 0.25, "6.1": 0.5, "6.2": 0.5, "8.6": 0.5 });
    expect(checkCumulative(f)).toEqual([]);
  });

  it("leaves Q6 at zero when everyone answered star or artifact", () => {
    const { counts, total } = countAnswers([walks.star, walks.star]);
    const f = cumulativeFractions(counts, total);
    expect(fraction(f, "1.3")).toBe(1);
    expect(fraction(f, "6.1") + fraction(f, "6.2")).toBe(0);
    expect(checkCumulative(f)).toEqual([]);
  });

  it("turns cumulative values back into per-question conditional fractions", () => {
    const { counts, total } = countAnswers([walks.round, walks.cigarOdd, walks.edgeOn, walks.spiral, walks.star]);
    const p = conditionalFractions(cumulativeFractions(counts, total));
    expect(fraction(p, "1.1")).toBeCloseTo(0.4, 12);
    expect(fraction(p, "7.1")).toBeCloseTo(0.5, 12);
    expect(fraction(p, "2.1")).toBeCloseTo(0.5, 12);
    expect(fraction(p, "4.1")).toBe(1);
    expect(fraction(p, "6.1")).toBeCloseTo(0.25, 12);
    expect(fraction(p, "8.6")).toBe(1);
    expect(fraction(p, "3.1")).toBe(0);
    expect(() => conditionalFractions([0.5])).toThrow(/expected 37/);
  });

  it("reports values that do not fit the tree", () => {
    const bad = vectorOf({ "1.1": 0.6, "1.2": 0.3, "7.1": 0.6 });
    expect(checkCumulative(bad)).toEqual([
      "question 1 sums to 0.9000 but should sum to 1.0000",
      "question 2 sums to 0.0000 but should sum to 0.3000",
    ]);
    expect(checkCumulative(vectorOf({ "1.1": 1.5 }))[0]).toMatch(/Class1.1 = 1.5/);
  });
});

describe("weighted counts, read one question at a time", () => {
  const all = [walks.round, walks.cigarOdd, walks.edgeOn, walks.spiral, walks.star, walks.star];

  it("gives the plain cumulative fractions for unweighted counts", () => {
    const { counts, total } = countAnswers(all);
    const plain = cumulativeFractions(counts, total);
    chainedFractions(counts).forEach((x, i) => expect(x).toBeCloseTo(plain[i]!, 12));
    expect(chainedFractions({})).toEqual(new Array(37).fill(0));
  });

  it("adds each answer's weight, and keeps every question's own scale", () => {
    // The round walk counts 3 on Q1 and 1 elsewhere; the cigar walk 1 everywhere.
    const { counts, total } = countAnswers([walks.round, walks.cigarOdd], (walk, id) => (walk === 0 && id.startsWith("1.") ? 3 : 1));
    expect(total).toBe(2);
    expect(counts).toEqual({ "1.1": 4, "7.1": 1, "6.2": 1, "7.3": 1, "6.1": 1, "8.6": 1 });
    const f = chainedFractions(counts);
    expectFractions(f, { "1.1": 1, "7.1": 0.5, "7.3": 0.5, "6.1": 0.5, "6.2": 0.5, "8.6": 0.5 });
    expect(checkCumulative(f)).toEqual([]);
  });
});
