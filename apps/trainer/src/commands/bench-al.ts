/**
 * `hiwl bench al` (`npm run bench:al`): the active-learning benchmark of issue #6 (al-bench/).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { ACQUISITION_FUNCTIONS, type AcquisitionFunction } from "@hiwl/model";
import { chartSvg, formatHeadline, formatTable, headline, meanCurves } from "../al-bench/report.ts";
import { runAlBench, type AlBenchOptions } from "../al-bench/run.ts";
import { addModelOptions, modelConfig, type ModelCliOptions } from "../training/cli.ts";
import type { TrainConfigInput } from "../training/config.ts";
import { integer, onOff } from "../training/option-parsers.ts";

/**
 * The smallest model that learns the synthetic classes, retrained from scratch each round: small
 * retrained models are noisy, and a fixed seed per run keeps the noise the same for every
 * strategy. Adam: from scratch, SGD at HIWL's 0.005 learns too slowly in a few epochs. Crowd
 * distributions as targets, as Galaxy Zoo's active learning trains on vote counts: the galaxies
 * an acquisition function picks are the ambiguous ones, whose votes mostly pass no class
 * threshold and would otherwise teach the model nothing.
 */
export const AL_TRAINING = {
  targets: "votes",
  variant: "nano",
  inputSize: 32,
  batch: 32,
  epochs: 24,
  optimizer: "adam",
  lr: 0.003,
  // Without a warm-up, Adam at 0.003 on a few hundred galaxies swung held-out accuracy by
  // 10 points between rounds; with it and 24 epochs the curves are smooth enough to compare.
  warmupEpochs: 1,
  // A few dozen galaxies validate the early rounds: their accuracy moves in steps of several
  // points and picked arbitrary epochs; the loss over their vote distributions is steadier.
  bestBy: "loss",
  patience: 24,
} as const satisfies TrainConfigInput;

/** Sized to take 20-30 minutes on the 2-core development machine. */
export const AL_DEFAULTS = { pool: 1500, heldOut: 400, budget: 6000, rounds: 8, crowd: 300, passes: 8, seeds: 1, warmStart: false };

interface BenchAlCliOptions
  extends ModelCliOptions,
    Pick<AlBenchOptions, "pool" | "heldOut" | "budget" | "rounds" | "crowd" | "passes" | "seeds" | "warmStart" | "workDir"> {
  strategies: AcquisitionFunction[];
  json: string;
  chart: string;
}

function strategyList(value: string): AcquisitionFunction[] {
  const names = value.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !(ACQUISITION_FUNCTIONS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown strategies ${unknown.join(", ")}: choose from ${ACQUISITION_FUNCTIONS.join(", ")}`);
  if (!names.includes("random")) throw new Error("--strategies must include random: it is the baseline of the headline");
  return names as AcquisitionFunction[];
}

export function registerBenchAl(bench: Command) {
  addModelOptions(
    bench
      .command("al")
      .description(
        "active learning: simulated volunteers classify a synthetic catalogue through the real queue, in rounds with retraining, " +
          "under each acquisition function and under random order; held-out accuracy against classifications",
      )
      .option("--pool <n>", "galaxies volunteers can be served", integer("--pool", 10), AL_DEFAULTS.pool)
      .option("--held-out <n>", "galaxies rendered for the held-out set (those with a true class are scored)", integer("--held-out", 1), AL_DEFAULTS.heldOut)
      .option("--budget <n>", "classifications per strategy", integer("--budget", 1), AL_DEFAULTS.budget)
      .option("--rounds <n>", "retraining rounds over the budget", integer("--rounds", 1), AL_DEFAULTS.rounds)
      .option("--crowd <n>", "simulated volunteers", integer("--crowd", 1), AL_DEFAULTS.crowd)
      .option("--passes <T>", "MC dropout passes for BALD", integer("--passes", 2), AL_DEFAULTS.passes)
      .option("--seeds <n>", "repeats with other volunteer and training seeds, averaged", integer("--seeds", 1), AL_DEFAULTS.seeds)
      .option("--warm-start <on|off>", "start each round's training from the previous round's model", onOff("--warm-start"), AL_DEFAULTS.warmStart)
      .option("--strategies <list>", "comma-separated; random is the baseline", strategyList, [...ACQUISITION_FUNCTIONS])
      .option("--json <file>", "raw results", "docs/active-learning.json")
      .option("--chart <file>", "SVG chart", "docs/images/active-learning.svg")
      .option("--work-dir <dir>", "scratch directory (removed afterwards)", join(tmpdir(), `hiwl-al-${process.pid}`)),
    AL_TRAINING,
  ).action(async (opts: BenchAlCliOptions) => {
    const { pool, heldOut: rendered, budget, rounds, crowd, passes, seeds, warmStart, strategies, json, chart, workDir, ...model } = opts;
    const options: AlBenchOptions = {
      pool,
      heldOut: rendered,
      budget,
      rounds,
      crowd,
      passes,
      seeds,
      warmStart,
      strategies,
      training: { ...modelConfig(model), targets: AL_TRAINING.targets, backend: model.backend },
      workDir: resolve(workDir),
      log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
    };
    const started = performance.now();
    const { heldOut, runs } = await runAlBench(options);
    const minutes = (performance.now() - started) / 60_000;
    const curves = meanCurves(runs);
    const h = headline(curves);
    const { training, workDir: _workDir, log: _log, ...size } = options;
    const title = `Active learning on the synthetic sky (${training.variant} ${training.inputSize} px, ${heldOut} held-out galaxies)`;
    await mkdir(dirname(resolve(chart)), { recursive: true });
    await writeFile(resolve(chart), chartSvg(curves, h, title));
    await mkdir(dirname(resolve(json)), { recursive: true });
    await writeFile(
      resolve(json),
      `${JSON.stringify({ size, training, heldOut, minutes, curves, headline: h, runs }, null, 2)}\n`,
    );
    console.log("");
    console.log(formatTable(curves));
    console.log("");
    console.log(formatHeadline(h));
    console.log(`${minutes.toFixed(1)} min in all; chart ${chart}, raw results ${json}`);
  });
}
