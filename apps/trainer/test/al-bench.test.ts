import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import {
  chartSvg,
  classificationsToReach,
  formatHeadline,
  formatSaving,
  headline,
  meanCurves,
  meanInterval,
  smoothCurve,
  type Saving,
} from "../src/bench/al-report.ts";
import { mergeResults, readResults } from "../src/bench/al-results.ts";
import { COUNT_RETIREMENT, strategyAcquisition, strategyRetirement, runAlBench, type Strategy, type StrategyRun } from "../src/bench/al-run.ts";

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
      strategies: ["random", "random+rules", "bald"] as const,
      warmStart: true,
      // The bench's recipe at a tiny size: the smallest network, one short epoch a round.
      training: { preset: "al-bench", variant: "nano", inputSize: 32, batch: 8, epochs: 1, minEpochExamples: 0, backend: "wasm" } as const,
      workDir,
    };
    const { heldOut, runs } = await runAlBench(options);
    expect(heldOut).toBeGreaterThan(0);
    expect(heldOut).toBeLessThanOrEqual(options.heldOut);
    expect(runs.map((r) => [r.strategy, r.seed])).toEqual([
      ["random", 3],
      ["random+rules", 3],
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

  it("retires random order on count alone, random+rules and the strategies by the platform's rules", () => {
    expect(strategyRetirement("random")).toBe(COUNT_RETIREMENT);
    expect(COUNT_RETIREMENT.count).toBe(15);
    expect(strategyRetirement("bald")).toBe(DEFAULT_RETIREMENT);
    expect(strategyRetirement("random+rules")).toBe(DEFAULT_RETIREMENT);
    expect(strategyAcquisition("random+rules")).toBe("random");
    expect(strategyAcquisition("margin")).toBe("margin");
  });
});

describe("the headline", () => {
  const run = (strategy: Strategy, seed: number, accuracies: number[], step = 1000): StrategyRun => ({
    strategy,
    seed,
    seconds: 1,
    rounds: accuracies.map((accuracy, i) => ({ round: i + 1, classifications: step * (i + 1), classified: 0, labelled: 0, retired: 0, accuracy })),
  });

  it("interpolates the classifications at which a curve first reaches an accuracy", () => {
    const points = [0.5, 0.6, 0.7].map((accuracy, i) => ({ classifications: 1000 * (i + 1), accuracy }));
    expect(classificationsToReach(points, 0.65)).toBeCloseTo(2500, 6);
    // Already there at its first round: credited with that round, nothing before it was measured.
    expect(classificationsToReach(points, 0.4)).toBe(1000);
    expect(classificationsToReach(points, 0.8)).toBeNull();
  });

  it("smooths a curve into a non-decreasing one, pooling the rounds that dip", () => {
    const points = [0.5, 0.7, 0.6, 0.65, 0.8].map((accuracy, i) => ({ classifications: 100 * (i + 1), accuracy }));
    expect(smoothCurve(points).map((p) => p.accuracy)).toEqual([0.5, expect.closeTo(0.65, 9), expect.closeTo(0.65, 9), expect.closeTo(0.65, 9), 0.8]);
    expect(smoothCurve(points).map((p) => p.classifications)).toEqual([100, 200, 300, 400, 500]);
  });

  it("gives a mean with its 95% t interval", () => {
    expect(meanInterval([0.3])).toEqual({ mean: 0.3, low: 0.3, high: 0.3 });
    // Mean 0.4, sd 0.1, 3 values: half-width 4.303 x 0.1 / sqrt(3).
    const i = meanInterval([0.3, 0.4, 0.5]);
    expect(i.mean).toBeCloseTo(0.4, 12);
    expect(i.high - i.mean).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 9);
    expect(i.mean - i.low).toBeCloseTo(i.high - i.mean, 12);
  });

  it("saves per seed on smoothed curves against both baselines, averaged with an interval", () => {
    const runs = [
      // Seed 0: random ends at 70% after 4000; its dip in round 3 is smoothed away.
      run("random", 0, [0.5, 0.6, 0.55, 0.7]),
      run("random+rules", 0, [0.55, 0.65, 0.7, 0.75]), // reaches 70% at 3000: 25% fewer
      run("margin", 0, [0.6, 0.7, 0.8, 0.85]), // at 2000: 50% fewer; random+rules ends at 75%, reached at 2500: 37.5%
      // Seed 1: random ends at 60%.
      run("random", 1, [0.5, 0.55, 0.58, 0.6]),
      run("random+rules", 1, [0.55, 0.6, 0.62, 0.64]), // at 2000: 50% fewer
      // Smoothed, its dip pools rounds 2 and 3 at 67.5%: random's 60% at 1000 (75% fewer), random+rules' 64% at 1533 (61.7%).
      run("margin", 1, [0.6, 0.7, 0.65, 0.75]),
    ];
    const h = headline(runs);
    expect(h.target).toEqual({ classifications: 4000, accuracy: expect.closeTo(0.65, 9) });
    const byName = (savings: Saving[], name: string) => savings.find((s) => s.strategy === name)!;
    const margin = byName(h.savings, "margin");
    expect(margin.baseline).toBe("random");
    expect(margin.perSeed).toEqual([
      { seed: 0, fewer: expect.closeTo(0.5, 9) },
      { seed: 1, fewer: expect.closeTo(0.75, 9) },
    ]);
    // Two seeds, so a wide interval, whose top stops at saving everything.
    expect(margin.fewer).toEqual({ ...meanInterval([0.5, 0.75]), high: 1 });
    expect(byName(h.savings, "random+rules").perSeed.map((s) => s.fewer)).toEqual([expect.closeTo(0.25, 9), expect.closeTo(0.5, 9)]);
    expect(h.queueShare.map((s) => [s.strategy, s.baseline, s.perSeed.map((p) => p.fewer)])).toEqual([
      ["margin", "random+rules", [expect.closeTo(0.375, 9), expect.closeTo(1 - (1000 + (0.04 / 0.075) * 1000) / 4000, 9)]],
    ]);
    expect(h.best?.strategy).toBe("margin");
    const text = formatHeadline(h);
    expect(text).toContain(`margin: 62.5% fewer than random (95% interval ${(100 * margin.fewer!.low).toFixed(1)}% to 100.0%, 2 seeds)`);
    expect(text).toContain("The queue's own share, against random order with the same retirement rules:\n  margin: 49.6% fewer than random+rules");

    // A seed that never reaches the target leaves no mean, and says so.
    const never = headline([run("random", 0, [0.5, 0.7]), run("bald", 0, [0.5, 0.6]), run("random", 1, [0.5, 0.6]), run("bald", 1, [0.7, 0.8])]);
    expect(never.savings[0]).toMatchObject({ perSeed: [{ seed: 0, fewer: null }, { seed: 1, fewer: 0.5 }], fewer: null });
    expect(never.best).toBeNull();
    expect(never.queueShare).toEqual([]);
    // Early retirement alone saving more than the queue does not make the baseline the headline.
    const rulesAhead = headline([run("random", 0, [0.5, 0.55, 0.6]), run("random+rules", 0, [0.6, 0.7, 0.8]), run("margin", 0, [0.5, 0.6, 0.7])]);
    expect(rulesAhead.savings.map((s) => [s.strategy, s.fewer?.mean])).toEqual([
      ["random+rules", expect.closeTo(2 / 3, 9)],
      ["margin", expect.closeTo(1 / 3, 9)],
    ]);
    expect(rulesAhead.best?.strategy).toBe("margin");
    expect(formatSaving(never.savings[0]!)).toBe("bald: never reached random's final accuracy in 1 of 2 seeds");
  });

  it("averages seeds round by round with an interval band, and draws one line and one band per strategy", () => {
    // The second seed stopped early: only the rounds both reached are averaged.
    const [mean] = meanCurves([run("random", 0, [0.4, 0.6, 0.7], 100), run("random", 1, [0.6, 0.8], 100)]);
    expect(mean!.points.map((p) => p.accuracy)).toEqual([expect.closeTo(0.5, 9), expect.closeTo(0.7, 9)]);
    expect(mean!.band![0]).toEqual({ low: meanInterval([0.4, 0.6]).low, high: meanInterval([0.4, 0.6]).high });
    expect(meanCurves([run("random", 0, [0.4])])[0]!.band).toBeUndefined();
    const runs = [0, 1].flatMap((seed) => [run("random", seed, [0.5, 0.6 + 0.02 * seed]), run("margin", seed, [0.55, 0.7 - 0.02 * seed])]);
    const svg = chartSvg(meanCurves(runs), headline(runs), "test <chart>");
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<polygon /g)).toHaveLength(2);
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
    return { size: { ...size, firstSeed: seed }, training, heldOut: 40, minutes: 10 + seed, curves: meanCurves(runs), headline: headline(runs), runs };
  };
  const dir = mkdtempSync(join(tmpdir(), "hiwl-al-results-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, value: unknown) => {
    const file = join(dir, name);
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
    // Per seed: random ends at 60% (seed 0), reached by margin at its first round (50% fewer); at 80% (seed 1), reached halfway from 100 to 200 (25% fewer).
    expect(merged.headline.best).toMatchObject({ strategy: "margin", perSeed: [{ seed: 0, fewer: 0.5 }, { seed: 1, fewer: expect.closeTo(0.25, 9) }] });
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
