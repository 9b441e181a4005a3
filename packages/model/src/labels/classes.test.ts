import { describe, expect, it } from "vitest";
import { ANSWER_IDS } from "../tree/decision-tree.ts";
import { countAnswers, cumulativeFractions } from "../tree/vote-fractions.ts";
import { argmaxClass, classDistribution, selectClass } from "./classes.ts";

const vectorOf = (values: Record<string, number>) => ANSWER_IDS.map((id) => values[id] ?? 0);

describe("HIWL class selection", () => {
  it("picks each class from clear vote fractions", () => {
    expect(selectClass(vectorOf({ "1.1": 0.8, "1.2": 0.2, "7.1": 0.7, "7.2": 0.1 }))).toBe("round");
    expect(selectClass(vectorOf({ "1.1": 0.8, "1.2": 0.2, "7.2": 0.6, "7.1": 0.2 }))).toBe("in-between");
    expect(selectClass(vectorOf({ "1.1": 0.9, "7.3": 0.7 }))).toBe("cigar");
    expect(selectClass(vectorOf({ "1.2": 0.9, "2.1": 0.8, "2.2": 0.1 }))).toBe("edge-on");
    expect(selectClass(vectorOf({ "1.2": 0.95, "2.2": 0.9, "4.1": 0.8 }))).toBe("spiral");
  });

  it("uses strict inequalities: a galaxy exactly on a threshold is not selected", () => {
    expect(selectClass(vectorOf({ "1.1": 0.469, "7.1": 0.469 }))).toBeNull();
    expect(selectClass(vectorOf({ "1.1": 0.4691, "7.1": 0.4691 }))).toBeNull();
    expect(selectClass(vectorOf({ "1.1": 0.4691, "7.1": 0.5001 }))).toBe("round");
    expect(selectClass(vectorOf({ "1.2": 0.43, "2.1": 0.7 }))).toBeNull();
    expect(selectClass(vectorOf({ "1.2": 0.9, "2.2": 0.8, "4.1": 0.619 }))).toBeNull();
  });

  it("selects nothing without votes, or for stars and artifacts", () => {
    expect(selectClass(new Array(37).fill(0))).toBeNull();
    expect(selectClass(vectorOf({ "1.3": 1 }))).toBeNull();
  });
});

describe("5-class crowd distribution", () => {
  it("follows the formula on a hand-computed crowd", () => {
    // 10 volunteers: 1 star, 3 smooth (2 round, 1 cigar), 6 disk (2 edge-on, 4 face-on).
    const walks = [
      ["1.3"],
      ...new Array<string[]>(2).fill(["1.1", "7.1", "6.2"]),
      ["1.1", "7.3", "6.2"],
      ...new Array<string[]>(2).fill(["1.2", "2.1", "9.1", "6.2"]),
      ...new Array<string[]>(4).fill(["1.2", "2.2", "3.2", "4.2", "5.2", "6.2"]),
    ];
    const { counts, total } = countAnswers(walks);
    const d = classDistribution(cumulativeFractions(counts, total))!;
    // s = 3/9 (the star is set aside), d = 6/9.
    expect(d.round).toBeCloseTo((3 / 9) * (2 / 3), 12);
    expect(d["in-between"]).toBe(0);
    expect(d.cigar).toBeCloseTo((3 / 9) * (1 / 3), 12);
    expect(d["edge-on"]).toBeCloseTo((6 / 9) * (2 / 6), 12);
    expect(d.spiral).toBeCloseTo((6 / 9) * (4 / 6), 12);
    expect(Object.values(d).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(argmaxClass(d)).toBe("spiral");
  });

  it("is one-hot for a single vote and null without smooth or disk votes", () => {
    const { counts, total } = countAnswers([["1.1", "7.2", "6.2"]]);
    expect(classDistribution(cumulativeFractions(counts, total))).toEqual({
      round: 0,
      "in-between": 1,
      cigar: 0,
      "edge-on": 0,
      spiral: 0,
    });
    expect(classDistribution(new Array(37).fill(0))).toBeNull();
    expect(classDistribution(vectorOf({ "1.3": 1 }))).toBeNull();
  });

  it("splits an unanswered branch evenly (rounded published fractions)", () => {
    const d = classDistribution(vectorOf({ "1.1": 1 }))!;
    expect(d.round).toBeCloseTo(1 / 3, 12);
    expect(d.cigar).toBeCloseTo(1 / 3, 12);
  });
});
