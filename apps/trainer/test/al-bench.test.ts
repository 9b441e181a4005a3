import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import {
  accuracyAt,
  chartSvg,
  classificationsToReach,
  compareCurves,
  formatHeadline,
  formatSaving,
  headline,
  meanCurves,
  smoothCurve,
  type Saving,
} from "../src/bench/al-report.ts";
import { mergeResults, readResults } from "../src/bench/al-results.ts";
import { meanInterval } from "../src/bench/intervals.ts";
import { presetScoring } from "../src/training/presets.ts";
import {
  COUNT_RETIREMENT,
  DEFAULT_STRATEGIES,
  scoringStrategy,
  strategyPerVote,
  strategyAcquisition,
  strategyRetirement,
  runAlBench,
  type Strategy,
  type StrategyRun,
} from "../src/bench/al-run.ts";

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
    expect(strategyAcquisition("margin-per-vote")).toBe("margin");
    expect(strategyAcquisition("bald-per-vote")).toBe("bald");
    expect([strategyPerVote("bald-per-vote"), strategyPerVote("bald"), strategyPerVote("random+rules")]).toEqual([true, false, false]);
    expect(strategyRetirement("margin-per-vote")).toBe(DEFAULT_RETIREMENT);
  });

  it("measures by default both baselines and the worker's queue order", () => {
    expect(scoringStrategy({ acquisition: "bald", perVote: false })).toBe("bald");
    expect(scoringStrategy({ acquisition: "margin", perVote: true })).toBe("margin-per-vote");
    expect(scoringStrategy({ acquisition: "entropy", perVote: true })).toBe("entropy-per-vote");
    // Random order stays random in scoring, per vote or not.
    expect(scoringStrategy({ acquisition: "random", perVote: true })).toBe("random");
    expect(DEFAULT_STRATEGIES).toEqual(["random", "random+rules", scoringStrategy(presetScoring("worker"))]);
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

  it("compares two curves over their whole length: classifications saved across the accuracies both reach, accuracy gained across the budget", () => {
    const curve = (accuracies: number[], step: number) => accuracies.map((accuracy, i) => ({ classifications: step * (i + 1), accuracy }));
    const random = curve([0.5, 0.6, 0.7, 0.8], 1000);
    // Every accuracy at half the classifications: half the area. Accuracy gained over the 1000-2000
    // classifications both span: n / 10000, 0.15 on average.
    const half = compareCurves(curve([0.5, 0.6, 0.7, 0.8], 500), random);
    expect(half.fewer).toBeCloseTo(0.5, 9);
    expect(half.accuracies).toEqual({ from: 0.5, to: 0.8 });
    expect(half.gain).toBeCloseTo(0.15, 9);
    // Ahead early, behind late (smoothed: 65% from 2000 to 3000): the areas cancel, and so do the gains.
    const level = compareCurves(smoothCurve(curve([0.5, 0.7, 0.6, 0.8], 1000)), random);
    expect(level.fewer).toBeCloseTo(0, 2);
    expect(level.gain).toBeCloseTo(0, 9);
    // The range ends where the lower curve ends: the strategy is not credited beyond what both reach.
    const short = compareCurves(curve([0.5, 0.6], 500), random);
    expect(short.accuracies).toEqual({ from: 0.5, to: 0.6 });
    expect(short.fewer).toBeCloseTo(0.5, 9);
    // No accuracy in common: no saving, but still a gain.
    const apart = compareCurves(curve([0.85, 0.9], 1000), random);
    expect(apart).toMatchObject({ fewer: null, accuracies: null });
    expect(apart.gain).toBeCloseTo(0.325, 9);
    expect(accuracyAt(random, 1500)).toBeCloseTo(0.55, 12);
    expect([accuracyAt(random, 10), accuracyAt(random, 9000)]).toEqual([0.5, 0.8]);
  });

  it("saves per seed on smoothed curves against both baselines, averaged with an interval", () => {
    const runs = [0, 1].flatMap((seed) => [
      run("random", seed, [0.5, 0.6, 0.7, 0.8]),
      // Smoothed to 50%, 65%, 65%, 80%: as many classifications as random order over the range.
      run("random+rules", seed, [0.5, 0.7, 0.6, 0.8]),
      // Every accuracy at half (seed 0) or three quarters (seed 1) of random order's classifications.
      run("margin", seed, [0.5, 0.6, 0.7, 0.8], seed === 0 ? 500 : 750),
    ]);
    const h = headline(runs)!;
    expect(h.target).toEqual({ classifications: 4000, accuracy: expect.closeTo(0.8, 9) });
    const byName = (savings: Saving[], name: string) => savings.find((s) => s.strategy === name)!;
    const margin = byName(h.savings, "margin");
    expect(margin.baseline).toBe("random");
    expect(margin.perSeed.map((s) => [s.seed, s.fewer])).toEqual([
      [0, expect.closeTo(0.5, 9)],
      [1, expect.closeTo(0.25, 9)],
    ]);
    // Two seeds, so a wide interval, whose top stops at saving everything.
    expect(margin.fewer).toEqual({ ...meanInterval(margin.perSeed.map((s) => s.fewer!)), high: 1 });
    expect(margin.gain).toEqual(meanInterval(margin.perSeed.map((s) => s.gain)));
    expect(byName(h.savings, "random+rules").perSeed.map((s) => s.fewer)).toEqual([expect.closeTo(0, 2), expect.closeTo(0, 2)]);
    // Against random+rules, whose area equals random order's, the queue's own share is the same.
    expect(h.queueShare.map((s) => [s.strategy, s.baseline, s.perSeed.map((p) => p.fewer)])).toEqual([
      ["margin", "random+rules", [expect.closeTo(0.5, 2), expect.closeTo(0.25, 2)]],
    ]);
    expect(h.best?.strategy).toBe("margin");
    const text = formatHeadline(h);
    expect(text).toContain(`margin: 37.5% fewer classifications than random (the saving's 95% interval ${(100 * margin.fewer!.low).toFixed(1)}% to 100.0%, 2 seeds)`);
    expect(text).toContain("The queue's own share, against random order with the same retirement rules:\n  margin: 37.5% fewer classifications than random+rules");

    // A seed whose curves share no accuracy leaves no mean, and says so.
    const apart = headline([run("random", 0, [0.5, 0.6]), run("bald", 0, [0.7, 0.8]), run("random", 1, [0.5, 0.6]), run("bald", 1, [0.5, 0.6], 500)])!;
    expect(apart.savings[0]).toMatchObject({ perSeed: [{ seed: 0, fewer: null }, { seed: 1, fewer: expect.closeTo(0.5, 9) }], fewer: null });
    expect(apart.best).toBeNull();
    expect(apart.queueShare).toEqual([]);
    expect(formatSaving(apart.savings[0]!)).toMatch(/^bald: no accuracy range shared with random in 1 of 2 seeds; accuracy \+15\.0 points \(95% interval /);
    // A strategy worse than its baseline is said to need more.
    const worse = headline([run("random", 0, [0.5, 0.6, 0.7]), run("entropy", 0, [0.5, 0.6, 0.7], 1500)])!;
    expect(formatSaving(worse.savings[0]!)).toBe("entropy: 50.0% more classifications than random (1 seed); accuracy -7.5 points");
    // Early retirement alone saving more than the queue does not make the baseline the headline.
    const rulesAhead = headline([run("random", 0, [0.5, 0.55, 0.6]), run("random+rules", 0, [0.5, 0.6, 0.7]), run("margin", 0, [0.5, 0.56, 0.62])])!;
    const [rules, queue] = rulesAhead.savings.map((s) => s.fewer!.mean);
    expect(rules).toBeGreaterThan(queue!);
    expect(queue).toBeGreaterThan(0);
    expect(rulesAhead.best?.strategy).toBe("margin");
    // Without random order there is nothing to measure against.
    expect(headline([run("margin", 0, [0.5, 0.6])])).toBeNull();
    expect(formatHeadline(null)).toMatch(/random order, its baseline, was not run; --merge/);
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
    expect(svg).toMatch(/>margin: \d+\.\d% fewer</);
    const worse = [run("random", 0, [0.55, 0.7], 100), run("margin", 0, [0.5, 0.6], 100)];
    expect(chartSvg(meanCurves(worse), headline(worse), "")).toMatch(/>margin: \d+\.\d% more</);
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
    // Per seed, over the accuracies both reach: seed 0 shares only 60%, which margin had at 100 classifications and random at 200 (50% fewer).
    expect(merged.headline!.best).toMatchObject({ strategy: "margin", perSeed: [{ seed: 0, fewer: expect.closeTo(0.5, 9) }, { seed: 1 }] });
  });

  it("merges a strategy run later, alone, with the baselines' runs of the same seeds", async () => {
    const baselines = write("baselines.json", results(0, [0.5, 0.6], [0.6, 0.7]));
    const alone = [run("margin-per-vote" as "margin", 0, [0.55, 0.65])];
    const later = { size: { ...size, firstSeed: 0, strategies: ["margin-per-vote"] }, training: { variant: "nano", epochs: 3 }, heldOut: 40, minutes: 5 };
    const file = write("later.json", { ...later, curves: meanCurves(alone), headline: headline(alone), runs: alone });
    const merged = mergeResults(await Promise.all([readResults(baselines), readResults(file)]));
    expect(merged.size.strategies).toEqual(["random", "margin", "margin-per-vote"]);
    expect(merged.headline!.savings.map((s) => s.strategy)).toEqual(["margin", "margin-per-vote"]);
  });

  it("refuses files that differ in more than their seeds, a seed twice, and files that are not results", async () => {
    const a = await readResults(write("a.json", results(0, [0.5, 0.6], [0.6, 0.7])));
    const other = await readResults(write("b.json", results(1, [0.5, 0.6], [0.6, 0.7], { variant: "nano", epochs: 4 })));
    expect(() => mergeResults([a, other])).toThrow(/b\.json was run with another training than .*a\.json: only seeds and strategies may differ/);
    const again = await readResults(write("c.json", results(0, [0.5, 0.6], [0.6, 0.7])));
    expect(() => mergeResults([a, again])).toThrow(/random seed 0 appears in more than one of/);
    const broken = results(0, [0.5, 1.5], [0.6, 0.7]);
    await expect(readResults(write("d.json", broken))).rejects.toThrow(/bench al results .*d\.json: runs\.0\.rounds\.1\.accuracy: /);
    await expect(readResults(write("e.json", "{"))).rejects.toThrow(/bench al results .*e\.json is not JSON/);
    await expect(readResults("/nonexistent/results.json")).rejects.toThrow(/cannot read benchmark results \/nonexistent\/results\.json/);
  });
});
