/**
 * The benchmark's result file (docs/active-learning.json): what ran, every strategy's rounds for
 * every seed, the curves averaged over the seeds and the headline. Seeds run side by side, one
 * process each with its own --first-seed (the training loop keeps one core busy, the image
 * worker only part of the other), merge into one report.
 */
import { readFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { parseJsonText } from "@hiwl/db";
import { headline, meanCurves, type Curve, type Headline } from "./al-report.ts";
import { runAlBench, STRATEGIES, type AlBenchOptions, type StrategyRun } from "./al-run.ts";

export interface AlResults {
  size: Omit<AlBenchOptions, "training" | "workDir" | "log">;
  training: AlBenchOptions["training"];
  /** Held-out galaxies scored. */
  heldOut: number;
  /** Benchmark minutes, summed over merged files. */
  minutes: number;
  curves: Curve[];
  headline: Headline | null;
  runs: StrategyRun[];
}

const count = z.number().int().nonnegative();
const ResultsSchema = z.object({
  size: z.looseObject({ seeds: z.number().int().positive(), firstSeed: count.optional() }),
  training: z.looseObject({}),
  heldOut: count,
  minutes: z.number().nonnegative(),
  runs: z.array(
    z.object({
      strategy: z.enum(STRATEGIES),
      seed: count,
      seconds: z.number(),
      rounds: z.array(
        z.object({ round: count, classifications: count, classified: count, labelled: count, retired: count, accuracy: z.number().min(0).max(1) }),
      ),
    }),
  ),
});

export async function benchResults(options: AlBenchOptions): Promise<AlResults> {
  const started = performance.now();
  const { heldOut, runs } = await runAlBench(options);
  const { training, workDir: _workDir, log: _log, ...size } = options;
  return summarise({ size, training, heldOut, minutes: (performance.now() - started) / 60_000, runs });
}

function summarise(results: Omit<AlResults, "curves" | "headline">): AlResults {
  return { ...results, curves: meanCurves(results.runs), headline: headline(results.runs) };
}

export async function readResults(file: string): Promise<{ file: string; results: AlResults }> {
  const text = await readFile(file, "utf8").catch((error: Error) => {
    throw new Error(`cannot read benchmark results ${file}: ${error.message}`);
  });
  return { file, results: parseJsonText(`bench al results ${file}`, text, ResultsSchema) as unknown as AlResults };
}

/**
 * One report over the runs of several result files, which must differ in their seeds and
 * strategies alone: a strategy measured later joins the baselines' runs of the same seeds (each
 * run draws from its own strategy-and-seed stream on the same catalogue).
 */
export function mergeResults(parts: readonly { file: string; results: AlResults }[]): AlResults {
  if (parts.length === 0) throw new Error("nothing to merge");
  const [first, ...rest] = parts;
  const comparable = ({ size: { seeds: _seeds, firstSeed: _firstSeed, strategies: _strategies, ...size }, training, heldOut }: AlResults) => ({
    size,
    training,
    heldOut,
  });
  for (const part of rest) {
    const [a, b] = [comparable(first!.results), comparable(part.results)];
    const differs = (["size", "training", "heldOut"] as const).filter((key) => !isDeepStrictEqual(a[key], b[key]));
    if (differs.length) throw new Error(`${part.file} was run with another ${differs.join(" and ")} than ${first!.file}: only seeds and strategies may differ`);
  }
  const runs = parts.flatMap((p) => p.results.runs);
  const seen = new Set<string>();
  for (const run of runs) {
    const key = `${run.strategy} seed ${run.seed}`;
    if (seen.has(key)) throw new Error(`${key} appears in more than one of ${parts.map((p) => p.file).join(", ")}`);
    seen.add(key);
  }
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((x, y) => x - y);
  const strategies = STRATEGIES.filter((s) => runs.some((r) => r.strategy === s));
  return summarise({
    size: { ...first!.results.size, seeds: seeds.length, firstSeed: seeds[0]!, strategies },
    training: first!.results.training,
    heldOut: first!.results.heldOut,
    minutes: parts.reduce((sum, p) => sum + p.results.minutes, 0),
    runs,
  });
}
