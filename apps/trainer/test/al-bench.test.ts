import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import { chartSvg, classificationsToReach, headline, meanCurves, type Curve } from "../src/al-bench/report.ts";
import { COUNT_RETIREMENT, strategyRetirement, runAlBench, type StrategyRun } from "../src/al-bench/run.ts";

describe("the active-learning benchmark", () => {
  it("runs each strategy in rounds through the real queue, training and scoring, at a tiny size", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "hiwl-al-test-"));
    const options = {
      // Early retirement spends about 9 votes a galaxy: 160 galaxies hold the 900 with room.
      pool: 160,
      heldOut: 20,
      budget: 900,
      rounds: 2,
      crowd: 20,
      passes: 2,
      seeds: 1,
      strategies: ["random", "bald"] as const,
      warmStart: true,
      training: { variant: "nano", inputSize: 32, batch: 8, epochs: 1, targets: "votes", backend: "wasm" } as const,
      workDir,
    };
    const { heldOut, runs } = await runAlBench(options);
    expect(heldOut).toBeGreaterThan(0);
    expect(heldOut).toBeLessThanOrEqual(options.heldOut);
    expect(runs.map((r) => r.strategy)).toEqual(["random", "bald"]);
    for (const run of runs) {
      // Counted in the strategy's database after each round: exactly the round's share of the budget.
      expect(run.rounds.map((r) => r.classifications)).toEqual([450, 900]);
      for (const r of run.rounds) {
        expect(r.accuracy).toBeGreaterThanOrEqual(0);
        expect(r.accuracy).toBeLessThanOrEqual(1);
        expect(r.labelled).toBeLessThanOrEqual(r.classified);
        expect(r.classified).toBeLessThanOrEqual(options.pool);
      }
    }
    // Count retirement only for random order: 900 votes retire at most 60 galaxies at 15 each.
    expect(runs[0]!.rounds.at(-1)!.retired).toBeLessThanOrEqual(900 / 15);
    expect(existsSync(workDir)).toBe(false);
  }, 300_000);

  it("retires random order on count alone, the strategies by the platform's rules", () => {
    expect(strategyRetirement("random")).toBe(COUNT_RETIREMENT);
    expect(COUNT_RETIREMENT.count).toBe(15);
    expect(strategyRetirement("bald")).toBe(DEFAULT_RETIREMENT);
  });
});

describe("the headline", () => {
  const curves: Curve[] = [
    { strategy: "random", points: [1000, 2000, 3000, 4000].map((c, i) => ({ classifications: c, accuracy: 0.5 + 0.05 * i })) },
    // Reaches random's final 65% halfway between 2000 (60%) and 3000 (70%).
    { strategy: "bald", points: [{ classifications: 1000, accuracy: 0.5 }, { classifications: 2000, accuracy: 0.6 }, { classifications: 3000, accuracy: 0.7 }] },
    { strategy: "entropy", points: [{ classifications: 1000, accuracy: 0.66 }] },
    { strategy: "margin", points: [{ classifications: 1000, accuracy: 0.4 }, { classifications: 4000, accuracy: 0.6 }] },
  ];

  it("interpolates the classifications at which each strategy first reaches random order's final accuracy", () => {
    expect(classificationsToReach(curves[1]!.points, 0.65)).toBeCloseTo(2500, 6);
    const h = headline(curves);
    expect(h.target).toEqual({ classifications: 4000, accuracy: 0.65 });
    expect(h.savings.map((s) => [s.strategy, s.classifications, s.fewer])).toEqual([
      ["bald", expect.closeTo(2500, 6), expect.closeTo(0.375, 6)],
      // Already there at its first round: credited with that round, nothing before it was measured.
      ["entropy", 1000, 0.75],
      ["margin", null, null],
    ]);
    expect(h.best?.strategy).toBe("entropy");
  });

  it("averages seeds round by round and draws one line per strategy", () => {
    const run = (seed: number, accuracies: number[]): StrategyRun => ({
      strategy: "random",
      seed,
      seconds: 1,
      rounds: accuracies.map((accuracy, i) => ({ round: i + 1, classifications: 100 * (i + 1), classified: 0, labelled: 0, retired: 0, accuracy })),
    });
    // The second seed stopped early: only the rounds both reached are averaged.
    const [mean] = meanCurves([run(0, [0.4, 0.6, 0.7]), run(1, [0.6, 0.8])]);
    expect(mean!.points.map((p) => p.accuracy)).toEqual([expect.closeTo(0.5, 9), expect.closeTo(0.7, 9)]);
    const svg = chartSvg(curves, headline(curves), "test <chart>");
    expect(svg.match(/<polyline /g)).toHaveLength(curves.length);
    expect(svg).toContain("test &lt;chart&gt;");
  });
});
