import { describe, expect, it } from "vitest";
import { acquisitionScore, bald, entropy, margin, meanPrediction, priorities } from "./acquisition.ts";
import { countAnswers, cumulativeFractions } from "../tree/vote-fractions.ts";
import { createRng } from "../random.ts";
import { DEFAULT_RETIREMENT, expectedVotesToRetire, retirementReason } from "./retirement.ts";

const uniform5 = [0.2, 0.2, 0.2, 0.2, 0.2];
const certain = [1, 0, 0, 0, 0];

describe("acquisition functions", () => {
  it("entropy and margin on hand-made predictions", () => {
    expect(entropy(uniform5)).toBeCloseTo(Math.log(5), 12);
    expect(entropy(certain)).toBe(0);
    expect(entropy([0.5, 0.5, 0, 0, 0])).toBeCloseTo(Math.log(2), 12);
    expect(margin(certain)).toBe(0);
    expect(margin([0.45, 0.45, 0.1, 0, 0])).toBeCloseTo(1, 12);
    expect(margin([0.7, 0.2, 0.1, 0, 0])).toBeCloseTo(0.5, 12);
  });

  it("BALD is high when passes disagree, zero when they agree however unsure", () => {
    expect(bald([uniform5, uniform5, uniform5])).toBeCloseTo(0, 12);
    // Two confident passes for different classes: mean is [0.5,0.5], each pass has entropy 0.
    expect(bald([certain, [0, 1, 0, 0, 0]])).toBeCloseTo(Math.log(2), 12);
    const mixed = [
      [0.9, 0.1, 0, 0, 0],
      [0.1, 0.9, 0, 0, 0],
    ];
    const h = (p: number[]) => entropy(p);
    expect(bald(mixed)).toBeCloseTo(h([0.5, 0.5, 0, 0, 0]) - h([0.9, 0.1, 0, 0, 0]), 12);
    expect(meanPrediction(mixed)).toEqual([0.5, 0.5, 0, 0, 0]);
    expect(() => bald([])).toThrow();
  });

  it("scores and ranks: the uncertain galaxy comes first; random is seeded", () => {
    const rng = createRng(1);
    const confident = [[0.96, 0.01, 0.01, 0.01, 0.01]];
    const unsure = [[0.3, 0.3, 0.2, 0.1, 0.1]];
    for (const fn of ["entropy", "margin", "bald"] as const) {
      const passes = fn === "bald" ? [certain, [0, 1, 0, 0, 0]] : unsure;
      expect(acquisitionScore(fn, passes, rng)).toBeGreaterThan(acquisitionScore(fn, confident, rng));
    }
    expect(acquisitionScore("random", confident, createRng(7))).toBe(acquisitionScore("random", unsure, createRng(7)));
  });

  it("priorities keep the order of clearly different scores and break near-ties at random", () => {
    const p = priorities([0, 1, 2], createRng(3));
    expect(p[0]! < p[1]! && p[1]! < p[2]!).toBe(true);
    const orders = new Set<string>();
    for (let s = 0; s < 20; s++) {
      const q = priorities([1, 1.000001, 0], createRng(s));
      orders.add(q[0]! > q[1]! ? "a" : "b");
    }
    expect(orders).toEqual(new Set(["a", "b"]));
  });
});

describe("retirement rules", () => {
  const fractions = (...walks: string[][]) => {
    const { counts, total } = countAnswers(walks);
    return cumulativeFractions(counts, total);
  };
  const spiral = ["1.2", "2.2", "3.2", "4.1", "10.2", "11.2", "5.2", "6.2"];
  const round = ["1.1", "7.1", "6.2"];
  const edge = ["1.2", "2.1", "9.1", "6.2"];
  const split = (n: number) => fractions(...Array.from({ length: n }, (_, i) => (i % 2 ? spiral : round)));

  it("retires after the classification count (15 by default)", () => {
    expect(retirementReason({ classifications: 14, voteFractions: split(14) })).toBeNull();
    expect(retirementReason({ classifications: 15, voteFractions: split(15) })).toBe("count");
  });

  it("retires early on strong agreement among volunteers", () => {
    expect(retirementReason({ classifications: 5, voteFractions: fractions(...new Array<string[]>(5).fill(spiral)) })).toBe("consensus");
    expect(retirementReason({ classifications: 4, voteFractions: fractions(...new Array<string[]>(4).fill(spiral)) })).toBeNull();
    expect(retirementReason({ classifications: 6, voteFractions: split(6) })).toBeNull();
  });

  it("retires early when a confident model agrees with the volunteers, not when it disagrees", () => {
    const votes = fractions(edge, edge, round);
    const sure = (cls: "edge-on" | "round") => ({ round: 0, "in-between": 0, cigar: 0, "edge-on": 0, spiral: 0, [cls]: 0.95 });
    expect(retirementReason({ classifications: 3, voteFractions: votes, prediction: sure("edge-on") })).toBe("model-confident");
    expect(retirementReason({ classifications: 3, voteFractions: votes, prediction: sure("round") })).toBeNull();
    expect(retirementReason({ classifications: 2, voteFractions: fractions(edge, edge), prediction: sure("edge-on") })).toBeNull();
  });

  it("keeps informative galaxies until the higher count", () => {
    const rules = { ...DEFAULT_RETIREMENT, informativeScore: 0.5 };
    const input = { classifications: 20, voteFractions: fractions(...new Array<string[]>(20).fill(spiral)) };
    expect(retirementReason({ ...input, acquisition: 0.8 }, rules)).toBeNull();
    expect(retirementReason({ ...input, acquisition: 0.2 }, rules)).toBe("count");
    expect(retirementReason({ ...input, classifications: 40, acquisition: 0.8 }, rules)).toBe("count");
  });

  describe("expected votes to retirement", () => {
    const none = { round: 0, "in-between": 0, cigar: 0, "edge-on": 0, spiral: 0 };
    const edgeOrSpiral = (edgeOn: number) => ({ ...none, "edge-on": edgeOn, spiral: 1 - edgeOn });

    /** The votes until the rules retire the galaxy, over many simulated crowds voting as the model predicts. */
    const simulated = (edgeOn: number, start: string[][], runs = 20_000) => {
      const rng = createRng("expected-votes");
      let total = 0;
      for (let r = 0; r < runs; r++) {
        const walks = [...start];
        const retired = () => retirementReason({ classifications: walks.length, voteFractions: fractions(...walks), prediction: edgeOrSpiral(edgeOn) });
        while (walks.length === 0 || retired() === null) walks.push(rng() < edgeOn ? edge : spiral);
        total += walks.length - start.length;
      }
      return total / runs;
    };

    it("follows the rules exactly where the model gives two classes all their probability", () => {
      for (const [edgeOn, start] of [[0.6, []], [0.5, []], [0.9, [edge, spiral]], [0.3, [spiral, spiral, spiral, edge]]] as const) {
        const walks = start as readonly string[][];
        const exact = expectedVotesToRetire({ classifications: walks.length, voteFractions: fractions(...walks), prediction: edgeOrSpiral(edgeOn) });
        expect(exact).toBeCloseTo(simulated(edgeOn, [...walks]), 1);
      }
    });

    it("a certain model retires a fresh galaxy at the model-confident minimum; contested ones take most of the count", () => {
      const fresh = { classifications: 0, voteFractions: fractions() };
      expect(expectedVotesToRetire({ ...fresh, prediction: edgeOrSpiral(1) })).toBeCloseTo(DEFAULT_RETIREMENT.modelMinVotes, 9);
      const contested = expectedVotesToRetire({ ...fresh, prediction: edgeOrSpiral(0.5) });
      expect(contested).toBeGreaterThan(9);
      expect(contested).toBeLessThan(DEFAULT_RETIREMENT.count);
      // Three or more classes in play: no two-class consensus comes as easily, so it costs more.
      const spread = expectedVotesToRetire({ ...fresh, prediction: { ...none, round: 0.3, "edge-on": 0.4, spiral: 0.3 } });
      expect(spread).toBeGreaterThan(contested);
    });

    it("is 0 for a galaxy the rules retire now, and the votes left to the count without a prediction", () => {
      const fiveSpirals = { classifications: 5, voteFractions: fractions(...new Array<string[]>(5).fill(spiral)) };
      expect(expectedVotesToRetire({ ...fiveSpirals, prediction: edgeOrSpiral(0.5) })).toBe(0);
      expect(expectedVotesToRetire({ classifications: 6, voteFractions: split(6) })).toBe(DEFAULT_RETIREMENT.count - 6);
    });
  });
});
