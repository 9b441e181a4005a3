import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { getQuestion, ROOT_QUESTION, type Answer, type QuestionId } from "../tree/decision-tree.ts";
import { countAnswers, cumulativeFractions, fraction } from "../tree/vote-fractions.ts";
import {
  estimateReliability,
  reliabilityWeight,
  voteWeight,
  weightedVoteFractions,
  type CrowdClassification,
  type ReliabilityEstimate,
} from "./reliability.ts";

const c = (volunteerId: string, galaxyId: string, ...answers: string[]): CrowdClassification => ({ volunteerId, galaxyId, answers });
const E = Math.E;

describe("the weight of a reliability", () => {
  it("is the log-likelihood ratio ln(r/(1−r)) + ln(K−1), zero at or below chance, finite at 1", () => {
    expect(reliabilityWeight(0.9, 2)).toBeCloseTo(Math.log(9), 12);
    expect(reliabilityWeight(0.75, 3)).toBeCloseTo(Math.log(3) + Math.log(2), 12);
    expect(reliabilityWeight(0.5, 2)).toBe(0);
    expect(reliabilityWeight(1 / 3, 3)).toBeCloseTo(0, 12);
    expect(reliabilityWeight(0.1, 3)).toBe(0);
    expect(reliabilityWeight(0, 2)).toBe(0);
    expect(reliabilityWeight(1, 2)).toBeCloseTo(Math.log(999), 9);
  });
});

describe("estimating reliability", () => {
  // Galaxy a: two volunteers say star, one says smooth and round. Galaxy b: all three say star.
  const votes = [
    c("A", "a", "1.3"),
    c("B", "a", "1.3"),
    c("C", "a", "1.1", "7.1", "6.2"),
    c("A", "b", "1.3"),
    c("B", "b", "1.3"),
    c("C", "b", "1.3"),
  ];

  it("one round from equal weights: each answer's agreement is its leave-one-out softmax posterior", () => {
    const est = estimateReliability(votes, { iterations: 1 });
    // Galaxy a, A's star: the others' weights are star 1 (B), smooth 1 (C), disk 0.
    const aStar = E / (2 * E + 1);
    // Galaxy a, C's smooth: the others are star 2.
    const cSmooth = 1 / (E * E + 2);
    // Galaxy b, every star: the others are star 2.
    const bStar = (E * E) / (E * E + 2);
    const m1 = (2 * aStar + cSmooth + 3 * bStar) / 6;
    expect(est.questionMeans["1"]).toBeCloseTo(m1, 12);
    // Nobody else answered Q7 or Q6: C's answers there tell nothing.
    expect(est.questionMeans["7"]).toBeUndefined();
    expect(est.questionMeans["6"]).toBeUndefined();

    const [a, b, cc] = est.volunteers;
    expect(est.volunteers.map((v) => [v.volunteerId, v.classifications])).toEqual([["A", 2], ["B", 2], ["C", 2]]);
    expect(a!.questions["1"]).toEqual({
      answers: 2,
      goldAnswers: 0,
      goldAgreement: 0,
      consensusAnswers: 2,
      consensusAgreement: expect.closeTo(aStar + bStar, 12),
      reliability: expect.closeTo((aStar + bStar + 4 * m1) / (2 + 4), 12),
      weight: expect.closeTo(reliabilityWeight((aStar + bStar + 4 * m1) / 6, 3), 12),
    });
    expect(b!.questions["1"]!.reliability).toBeCloseTo(a!.questions["1"]!.reliability, 12);
    const rC = (cSmooth + bStar + 4 * m1) / 6;
    expect(cc!.questions["1"]!.reliability).toBeCloseTo(rC, 12);
    // C's Q7 and Q6 answers are kept, unweighted: no one could be compared there.
    expect(cc!.questions["7"]).toMatchObject({ answers: 1, consensusAnswers: 0, weight: 1 });
    expect(cc!.questions["7"]!.reliability).toBeNaN();
    // The volunteer's summary is the mean of r over the answers that could be compared.
    expect(cc!.reliability).toBeCloseTo(rC, 12);
    expect(a!.questions["7"]).toBeUndefined();
  });

  it("counts agreement with gold where a gold answer is known, with the consensus elsewhere", () => {
    const est = estimateReliability(
      [c("A", "g", "1.1", "7.2", "6.2"), c("B", "g", "1.1", "7.1", "6.2"), c("A", "h", "1.3"), c("B", "h", "1.3")],
      { iterations: 1, gold: [{ galaxyId: "g", answers: ["1.1", "7.1", "6.2"] }, { galaxyId: "unseen", answers: ["1.3"] }] },
    );
    const a = est.volunteers[0]!;
    expect(a.questions["1"]).toMatchObject({ goldAnswers: 1, goldAgreement: 1, consensusAnswers: 1 });
    expect(a.questions["7"]).toMatchObject({ goldAnswers: 1, goldAgreement: 0, consensusAnswers: 0 });
    expect(est.volunteers[1]!.questions["7"]).toMatchObject({ goldAnswers: 1, goldAgreement: 1 });
    // Q7's mean is the crowd's gold agreement: 1 of 2; A sits below it, B above.
    expect(est.questionMeans["7"]).toBe(0.5);
    expect(a.questions["7"]!.reliability).toBeCloseTo((0 + 4 * 0.5) / 5, 12);
    expect(est.volunteers[1]!.questions["7"]!.reliability).toBeCloseTo((1 + 4 * 0.5) / 5, 12);
  });

  it("refuses a walk that is not a path of the tree", () => {
    expect(() => estimateReliability([c("A", "g", "1.1", "2.1")])).toThrow(/classification of galaxy g by A/);
  });

  // A small crowd on galaxies with one true walk each: six volunteers always give it, two click at random.
  const TRUE_WALKS = [["1.1", "7.1", "6.2"], ["1.1", "7.3", "6.2"], ["1.2", "2.1", "9.1", "6.2"], ["1.3"]];
  function randomWalk(rng: () => number): string[] {
    const out: string[] = [];
    let q: QuestionId | null = ROOT_QUESTION;
    while (q !== null) {
      const answers: readonly Answer[] = getQuestion(q).answers;
      const a = answers[Math.floor(rng() * answers.length)]!;
      out.push(a.id);
      q = a.next;
    }
    return out;
  }
  function crowd(galaxies: number): { votes: CrowdClassification[]; truth: string[][] } {
    const rng = createRng("reliability-test");
    const truth = Array.from({ length: galaxies }, (_, g) => TRUE_WALKS[g % TRUE_WALKS.length]!);
    const votes = truth.flatMap((walk, g) =>
      ["good1", "good2", "good3", "good4", "good5", "good6", "bad1", "bad2"]
        .filter(() => rng() < 0.6)
        .map((v) => c(v, `g${g}`, ...(v.startsWith("good") ? walk : randomWalk(rng)))),
    );
    return { votes, truth };
  }

  it("ranks volunteers who give the truth above random clickers, who weigh (nearly) nothing", () => {
    const { votes } = crowd(80);
    const est = estimateReliability(votes);
    const by = new Map(est.volunteers.map((v) => [v.volunteerId, v]));
    const good = ["good1", "good2", "good3", "good4", "good5", "good6"].map((id) => by.get(id)!);
    const bad = ["bad1", "bad2"].map((id) => by.get(id)!);
    const worstGood = Math.min(...good.map((v) => v.reliability));
    const bestBad = Math.max(...bad.map((v) => v.reliability));
    expect(worstGood).toBeGreaterThan(0.9);
    expect(bestBad).toBeLessThan(0.5);
    for (const v of good) expect(v.questions["1"]!.weight).toBeGreaterThan(3);
    for (const v of bad) expect(v.questions["1"]!.weight).toBeLessThan(0.5);
    // Same input, same numbers.
    expect(estimateReliability(votes)).toEqual(est);
  });

  it("weighted fractions are closer to the true walks than the plain ones", () => {
    const { votes, truth } = crowd(80);
    const weighted = weightedVoteFractions(votes, estimateReliability(votes));
    expect(weighted.map((w) => w.galaxyId)).toEqual(truth.map((_, g) => `g${g}`));
    let plainError = 0;
    let weightedError = 0;
    truth.forEach((walk, g) => {
      const list = votes.filter((v) => v.galaxyId === `g${g}`);
      const { counts, total } = countAnswers(list.map((v) => v.answers));
      const plain = cumulativeFractions(counts, total);
      expect(weighted[g]!.classifications).toBe(list.length);
      // Error on Q1, the question every walk answers: 1 for the true answer, 0 for the others.
      for (const id of ["1.1", "1.2", "1.3"]) {
        const target = walk.includes(id) ? 1 : 0;
        plainError += Math.abs(fraction(plain, id) - target);
        weightedError += Math.abs(fraction(weighted[g]!.voteFractions, id) - target);
      }
    });
    expect(plainError / truth.length).toBeGreaterThan(0.1);
    expect(weightedError / truth.length).toBeLessThan(0.1 * (plainError / truth.length));
  });
});

describe("weighted vote fractions", () => {
  const votes = [c("X", "g", "1.3"), c("Y", "g", "1.1", "7.2", "6.2"), c("Z", "g", "1.1", "7.1", "6.2")];
  const estimate = (weights: Record<string, number>): ReliabilityEstimate => ({
    volunteers: Object.entries(weights).map(([volunteerId, weight]) => ({
      volunteerId,
      classifications: 1,
      reliability: 0.8,
      questions: Object.fromEntries(
        (["1", "6", "7"] as const).map((q) => [
          q,
          { answers: 1, goldAnswers: 0, goldAgreement: 0, consensusAnswers: 1, consensusAgreement: 1, reliability: 0.8, weight },
        ]),
      ),
    })),
    questionMeans: { "1": 0.8 },
    iterations: 1,
    priorStrength: 4,
  });

  it("are the plain Kaggle fractions when every weight is equal", () => {
    const { counts, total } = countAnswers(votes.map((v) => v.answers));
    const [w] = weightedVoteFractions(votes, estimate({ X: 2, Y: 2, Z: 2 }));
    w!.voteFractions.forEach((x, i) => expect(x).toBeCloseTo(cumulativeFractions(counts, total)[i]!, 12));
    // No rounds at all: every weight is 1.
    const [w0] = weightedVoteFractions(votes, estimateReliability(votes, { iterations: 0 }));
    w0!.voteFractions.forEach((x, i) => expect(x).toBeCloseTo(cumulativeFractions(counts, total)[i]!, 12));
  });

  it("weigh each answer by its volunteer's weight on that question", () => {
    const [w] = weightedVoteFractions(votes, estimate({ X: 1, Y: 3, Z: 1 }));
    const f = w!.voteFractions;
    expect(fraction(f, "1.3")).toBeCloseTo(1 / 5, 12);
    expect(fraction(f, "1.1")).toBeCloseTo(4 / 5, 12);
    expect(fraction(f, "7.2")).toBeCloseTo((4 / 5) * (3 / 4), 12);
    expect(fraction(f, "7.1")).toBeCloseTo((4 / 5) * (1 / 4), 12);
    // Q6 keeps the Kaggle normalisation over those who reached it.
    expect(fraction(f, "6.2")).toBeCloseTo(1, 12);
  });

  it("drop a volunteer of weight 0, but fall back to plain counts where everyone on a question weighs 0", () => {
    const [dropped] = weightedVoteFractions(votes, estimate({ X: 0, Y: 1, Z: 1 }));
    expect(fraction(dropped!.voteFractions, "1.3")).toBe(0);
    expect(fraction(dropped!.voteFractions, "1.1")).toBeCloseTo(1, 12);
    const [fallback] = weightedVoteFractions(votes, estimate({ X: 0, Y: 0, Z: 0 }));
    expect(fraction(fallback!.voteFractions, "1.3")).toBeCloseTo(1 / 3, 12);
    expect(fraction(fallback!.voteFractions, "7.1")).toBeCloseTo(1 / 3, 12);
  });

  it("give a volunteer the estimate has not seen the weight of the crowd's mean", () => {
    const est = estimate({ X: 5 });
    expect(voteWeight(est, "X", "1")).toBe(5);
    expect(voteWeight(est, "new", "1")).toBeCloseTo(Math.log(0.8 / 0.2) + Math.log(2), 12);
    // A question with no mean: everyone the same.
    expect(voteWeight(est, "new", "8")).toBe(1);
  });
});
