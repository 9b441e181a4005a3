import { describe, expect, it } from "vitest";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import { simulateRetirement } from "../src/bench/retirement-sim.ts";
import { COUNT_RETIREMENT } from "../src/bench/al-run.ts";

describe("the retirement simulation", () => {
  const options = { galaxies: 300, crowd: 50, seed: "test" };

  it("spends exactly the count per galaxy when only the count retires", () => {
    const r = simulateRetirement(COUNT_RETIREMENT, options);
    expect(r.meanVotes).toBe(15);
    expect(r.early).toBe(0);
    expect(r.labelAccuracy).toBeGreaterThan(0.85);
  });

  it("retires agreed galaxies early, never before the consensus minimum, for crowd labels nearly as good", () => {
    const count = simulateRetirement(COUNT_RETIREMENT, options);
    const r = simulateRetirement(DEFAULT_RETIREMENT, options);
    expect(r.early).toBeGreaterThan(0.3);
    expect(r.meanVotes).toBeLessThan(0.8 * count.meanVotes);
    expect(r.meanVotes).toBeGreaterThanOrEqual(DEFAULT_RETIREMENT.consensusMinVotes);
    expect(r.labelAccuracy).toBeGreaterThan(count.labelAccuracy - 0.05);
    // Same galaxies, volunteers and random stream: a rerun is identical.
    expect(simulateRetirement(DEFAULT_RETIREMENT, options)).toEqual(r);
  });

  it("retiring on one unanimous vote spends under 2 votes a galaxy and loses label accuracy", () => {
    const count = simulateRetirement(COUNT_RETIREMENT, options);
    const r = simulateRetirement({ ...DEFAULT_RETIREMENT, consensusShare: 1, consensusMinVotes: 1 }, options);
    expect(r.meanVotes).toBeLessThan(2);
    expect(r.labelAccuracy).toBeLessThan(count.labelAccuracy - 0.05);
  });
});
