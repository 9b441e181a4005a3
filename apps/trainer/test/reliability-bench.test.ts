import { describe, expect, it } from "vitest";
import { POOR_SKILL_MAX, simulateReliability } from "../src/bench/reliability-sim.ts";
import { reliabilityTable } from "../src/bench/reliability.ts";

describe("the volunteer reliability benchmark", () => {
  const options = { galaxies: 150, crowd: 20, poor: 0.25, votes: [5, 10], gold: 0, seed: "test" };
  const outcome = simulateReliability(options);

  it("estimates every poor volunteer below every careful one", () => {
    const poor = outcome.volunteers.filter((v) => v.skill <= POOR_SKILL_MAX);
    const careful = outcome.volunteers.filter((v) => v.skill > POOR_SKILL_MAX);
    expect(poor).toHaveLength(5);
    expect(careful).toHaveLength(15);
    expect(Math.max(...poor.map((v) => v.estimated))).toBeLessThan(Math.min(...careful.map((v) => v.estimated)));
    const best = outcome.volunteers.reduce((a, b) => (b.skill > a.skill ? b : a));
    const worst = outcome.volunteers.reduce((a, b) => (b.skill < a.skill ? b : a));
    expect(best.estimated).toBeGreaterThan(worst.estimated + 0.2);
  });

  it("scores both label sets as shares and errors, with weighting closer to the truth on this crowd", () => {
    expect(outcome.rows.map((r) => r.votes)).toEqual([5, 10]);
    for (const r of outcome.rows) {
      for (const s of [r.unweighted, r.weighted]) {
        expect(s.accuracy).toBeGreaterThanOrEqual(0);
        expect(s.accuracy).toBeLessThanOrEqual(1);
        expect(s.mae).toBeGreaterThan(0);
        expect(s.mae).toBeLessThan(0.4);
      }
      // A quarter of the crowd clicks (nearly) at random: down-weighting them must pay.
      expect(r.weighted.mae).toBeLessThan(r.unweighted.mae);
      expect(r.fixed).toBeGreaterThan(r.broken);
      expect(r.pearson).toBeGreaterThan(0.8);
    }
    // More votes, better plain labels.
    expect(outcome.rows[1]!.unweighted.accuracy).toBeGreaterThan(outcome.rows[0]!.unweighted.accuracy);
  });

  it("gives the same numbers for the same seed, and other numbers for another", () => {
    expect(simulateReliability(options)).toEqual(outcome);
    expect(simulateReliability({ ...options, seed: "other" }).rows).not.toEqual(outcome.rows);
  });

  it("uses gold where given and prints one Markdown row per crowd and vote count", () => {
    // Gold changes the estimate, never the plain fractions.
    const withGold = simulateReliability({ ...options, gold: 0.2 });
    expect(withGold.rows.map((r) => r.unweighted)).toEqual(outcome.rows.map((r) => r.unweighted));
    expect(withGold.volunteers).not.toEqual(outcome.volunteers);
    expect(withGold.rows[0]!.weighted.accuracy).toBeGreaterThan(0.7);
    const table = reliabilityTable([{ share: 0.25, outcome }]).split("\n");
    expect(table).toHaveLength(4);
    expect(table[0]).toMatch(/^\| crowd \| votes per galaxy \| leading class = truth, plain \| weighted \|/);
    expect(table[2]).toMatch(/^\| 25\.0% poor \| 5 \| \d+\.\d% \| \d+\.\d% \| \d+ \/ \d+ \| 0\.\d{4} \| 0\.\d{4} \| 0\.\d\d \/ 0\.\d\d \|$/);
  });

  it("refuses more votes per galaxy than volunteers", () => {
    expect(() => simulateReliability({ ...options, crowd: 4 })).toThrow(/at least as many volunteers/);
  });
});
