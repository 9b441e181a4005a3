/**
 * `hiwl bench al` (`npm run bench:al`): the active-learning benchmark (al-run.ts, al-results.ts, al-report.ts).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { chartSvg, formatHeadline, formatTable } from "./al-report.ts";
import { benchResults, mergeResults, readResults } from "./al-results.ts";
import { DEFAULT_STRATEGIES, STRATEGIES, type AlBenchOptions, type Strategy } from "./al-run.ts";
import { addModelOptions, modelConfig, type ModelCliOptions } from "../cli/model-options.ts";
import { resolveTrainConfig } from "../training/config.ts";
import { integer, onOff } from "../cli/option-parsers.ts";

/** The sizes of a run (its training is the al-bench preset, presets.ts). Seeds run side by side, one a core: five took about 2 hours on the 2-core development machine. */
const AL_DEFAULTS = {
  pool: 1500,
  heldOut: 1000,
  budget: 6000,
  rounds: 8,
  crowd: 300,
  passes: 8,
  seeds: 1,
  firstSeed: 0,
  warmStart: false,
};

interface BenchAlCliOptions
  extends ModelCliOptions,
    Pick<AlBenchOptions, "pool" | "heldOut" | "budget" | "rounds" | "crowd" | "passes" | "seeds" | "firstSeed" | "warmStart" | "workDir"> {
  strategies: Strategy[];
  json: string;
  chart: string;
  merge?: string[];
}

function strategyList(value: string): Strategy[] {
  const names = value.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !(STRATEGIES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown strategies ${unknown.join(", ")}: choose from ${STRATEGIES.join(", ")}`);
  return names as Strategy[];
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
      .option("--first-seed <k>", "the seeds run are k, k+1, ... (to run seeds side by side and --merge them)", integer("--first-seed"), AL_DEFAULTS.firstSeed)
      .option("--merge <files>", "comma-separated result files of earlier runs of the same size: report on all their runs instead of running", (v: string) => v.split(","))
      .option("--warm-start <on|off>", "start each round's training from the previous round's model", onOff("--warm-start"), AL_DEFAULTS.warmStart)
      .option(
        "--strategies <list>",
        `comma-separated from ${STRATEGIES.join(", ")}; random (with count-only retirement) is the baseline, random+rules random order with the platform's retirement rules; a run without random has no headline until merged with one that has it`,
        strategyList,
        DEFAULT_STRATEGIES,
      )
      .option("--json <file>", "raw results", "docs/active-learning.json")
      .option("--chart <file>", "SVG chart", "docs/images/active-learning.svg")
      .option("--work-dir <dir>", "scratch directory (removed afterwards)", join(tmpdir(), `hiwl-al-${process.pid}`)),
    "al-bench",
  ).action(async (opts: BenchAlCliOptions) => {
    const { pool, heldOut: rendered, budget, rounds, crowd, passes, seeds, firstSeed, warmStart, strategies, json, chart, merge, workDir, ...model } =
      opts;
    const options: AlBenchOptions = {
      pool,
      heldOut: rendered,
      budget,
      rounds,
      crowd,
      passes,
      seeds,
      firstSeed,
      warmStart,
      strategies,
      // Resolved: the result file records every setting, and merging compares them.
      training: { ...resolveTrainConfig(modelConfig(model, "al-bench")), backend: model.backend },
      workDir: resolve(workDir),
      log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
    };
    const results = merge ? mergeResults(await Promise.all(merge.map(readResults))) : await benchResults(options);
    const { curves, headline: h, training, heldOut, minutes } = results;
    const title = `Active learning on the synthetic sky (${training.variant} ${training.inputSize} px, ${heldOut} held-out galaxies)`;
    await mkdir(dirname(resolve(chart)), { recursive: true });
    await writeFile(resolve(chart), chartSvg(curves, h, title));
    await mkdir(dirname(resolve(json)), { recursive: true });
    await writeFile(resolve(json), `${JSON.stringify(results, null, 2)}\n`);
    console.log("");
    console.log(formatTable(curves));
    console.log("");
    console.log(formatHeadline(h));
    console.log(`${minutes.toFixed(1)} min in all; chart ${chart}, raw results ${json}`);
  });
}
