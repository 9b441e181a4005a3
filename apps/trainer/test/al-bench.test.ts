import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import { chartSvg, classificationsToReach, headline, meanCurves, type Curve } from "../src/bench/al-report.ts";
import { mergeResults, readResults } from "../src/bench/al-results.ts";
import { COUNT_RETIREMENT, strategyRetirement, runAlBench, type StrategyRun } from "../src/bench/al-run.ts";

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
      firstSeed: 3,
      strategies: ["random", "bald"] as const,
      warmStart: true,
      // The bench's recipe at a tiny size: one short epoch a round.
      training: { preset: "al-bench", batch: 8, epochs: 1, minEpochExamples: 0, backend: "wasm" } as const,
      workDir,
    };
    const { heldOut, runs } = await runAlBench(options);
    expect(heldOut).toBeGreaterThan(0);
    expect(heldOut).toBeLessThanOrEqual(options.heldOut);
    expect(runs.map((r) => [r.strategy, r.seed])).toEqual([
      ["random", 3],
      ["bald", 3],
    ]);
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

describe("result files", () => {
  const run = (strategy: "random" | "margin", seed: number, accuracies: number[]): StrategyRun => ({
    strategy,
    seed,
    seconds: 60,
    rounds: accuracies.map((accuracy, i) => ({ round: i + 1, classifications: 100 * (i + 1), classified: 0, labelled: 0, retired: 0, accuracy })),
  });
  const size = { pool: 100, heldOut: 50, budget: 200, rounds: 2, crowd: 10, passes: 2, seeds: 1, warmStart: false, strategies: ["random", "margin"] as const };
  const results = (seed: number, random: number[], margin: number[], training = { variant: "nano" as const, epochs: 3 }) => {
    const runs = [run("random", seed, random), run("margin", seed, margin)];
    const curves = meanCurves(runs);
    return { size: { ...size, firstSeed: seed }, training, heldOut: 40, minutes: 10 + seed, curves, headline: headline(curves), runs };
  };
  const write = (name: string, value: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), "hiwl-al-results-")), name);
    writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
    return file;
  };

  it("merges seeds run side by side into one report: every run, curves averaged over all of them", async () => {
    const a = write("a.json", results(0, [0.5, 0.6], [0.6, 0.7]));
    const b = write("b.json", results(1, [0.5, 0.8], [0.7, 0.9]));
    const merged = mergeResults(await Promise.all([readResults(a), readResults(b)]));
    expect(merged.runs.map((r) => `${r.strategy}:${r.seed}`)).toEqual(["random:0", "margin:0", "random:1", "margin:1"]);
    expect(merged.size).toMatchObject({ seeds: 2, firstSeed: 0, pool: 100 });
    expect(merged.minutes).toBe(21);
    expect(merged.curves.find((c) => c.strategy === "random")!.points.map((p) => p.accuracy)).toEqual([expect.closeTo(0.5, 9), expect.closeTo(0.7, 9)]);
    // Random ends at 70%; margin's mean (65%, 80%) crosses it a third of the way from 100 to 200.
    expect(merged.headline.best).toMatchObject({ strategy: "margin", classifications: expect.closeTo(400 / 3, 6) });
  });

  it("refuses files that differ in more than their seeds, a seed twice, and files that are not results", async () => {
    const a = await readResults(write("a.json", results(0, [0.5, 0.6], [0.6, 0.7])));
    const other = await readResults(write("b.json", results(1, [0.5, 0.6], [0.6, 0.7], { variant: "nano", epochs: 4 })));
    expect(() => mergeResults([a, other])).toThrow(/b\.json was run with another training than .*a\.json: only seeds may differ/);
    const again = await readResults(write("c.json", results(0, [0.5, 0.6], [0.6, 0.7])));
    expect(() => mergeResults([a, again])).toThrow(/random seed 0 appears in more than one of/);
    const broken = results(0, [0.5, 1.5], [0.6, 0.7]);
    await expect(readResults(write("d.json", broken))).rejects.toThrow(/bench al results .*d\.json: runs\.0\.rounds\.1\.accuracy: /);
    await expect(readResults(write("e.json", "{"))).rejects.toThrow(/bench al results .*e\.json is not JSON/);
    await expect(readResults("/nonexistent/results.json")).rejects.toThrow(/cannot read benchmark results \/nonexistent\/results\.json/);
  });
});
