/**
 * `hiwl bench reliability` (`npm run bench:reliability`): whether weighting every answer by its
 * volunteer's estimated reliability (`labels/reliability.ts`) brings the crowd's labels closer
 * to the truth, on the synthetic sky with simulated volunteers of known skill. No images are
 * rendered: the volunteers answer from each galaxy's truth, as the seeded catalogue does.
 */
import type { Command } from "commander";
import { POOR_SKILL_MAX, simulateReliability, type ReliabilityOutcome, type ReliabilitySimOptions } from "./reliability-sim.ts";
import { markdownTable, percent } from "./markdown-table.ts";
import { finiteNumber, integer } from "../cli/option-parsers.ts";

interface BenchReliabilityOptions {
  galaxies: number;
  crowd: number;
  poor: string;
  votes: string;
  gold: number;
  seed: string;
}

export function registerBenchReliability(bench: Command) {
  bench
    .command("reliability")
    .description("crowd labels with and without weighting each volunteer by their estimated reliability, against the synthetic truth")
    .option("--galaxies <n>", "synthetic galaxies", integer("--galaxies", 1), 1000)
    .option("--crowd <n>", "simulated volunteers", integer("--crowd", 1), 100)
    .option("--poor <list>", `comma-separated shares of the crowd that is poor (skill uniform in 0–${POOR_SKILL_MAX}), one crowd each`, "0,0.2")
    .option("--votes <list>", "comma-separated classifications per galaxy", "5,10,15")
    .option("--gold <share>", "share of the galaxies whose ideal walk the estimate is given as gold", finiteNumber("--gold", 0), 0)
    .option("--seed <s>", "galaxies, volunteers and their answers", "reliability")
    .action((opts: BenchReliabilityOptions) => {
      const started = performance.now();
      const poor = numbers("--poor", opts.poor, 0, 1);
      const votes = numbers("--votes", opts.votes, 1, opts.crowd).map((k) => {
        if (!Number.isInteger(k)) throw new Error(`--votes must be whole numbers, got "${opts.votes}"`);
        return k;
      });
      if (opts.gold > 1) throw new Error(`--gold must be a share in [0, 1], got ${opts.gold}`);
      const results = poor.map((share) => {
        const options: ReliabilitySimOptions = { galaxies: opts.galaxies, crowd: opts.crowd, poor: share, votes, gold: opts.gold, seed: opts.seed };
        return { share, outcome: simulateReliability(options) };
      });
      console.log(
        `${opts.galaxies} synthetic galaxies, ${opts.crowd} simulated volunteers, gold on ${percent(opts.gold)} of the galaxies, seed "${opts.seed}"\n`,
      );
      console.log(reliabilityTable(results));
      console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s`);
    });
}

export function reliabilityTable(results: readonly { share: number; outcome: ReliabilityOutcome }[]): string {
  const rows = results.flatMap(({ share, outcome }) =>
    outcome.rows.map((r) => [
      share > 0 ? `${percent(share)} poor` : "careful (skill 0.65–1)",
      String(r.votes),
      percent(r.unweighted.accuracy),
      percent(r.weighted.accuracy),
      `${r.fixed} / ${r.broken}`,
      r.unweighted.mae.toFixed(4),
      r.weighted.mae.toFixed(4),
      `${r.pearson.toFixed(2)} / ${r.spearman.toFixed(2)}`,
    ]),
  );
  return markdownTable(
    [
      "crowd",
      "votes per galaxy",
      "leading class = truth, plain",
      "weighted",
      "galaxies weighting fixes / breaks",
      "class-distribution MAE, plain",
      "weighted",
      "reliability vs skill (Pearson / Spearman)",
    ],
    rows,
  );
}

function numbers(name: string, value: string, min: number, max: number): number[] {
  return value.split(",").map((part) => {
    const x = Number(part.trim());
    if (part.trim() === "" || !Number.isFinite(x) || x < min || x > max) {
      throw new Error(`${name} must be comma-separated numbers in [${min}, ${max}], got "${value}"`);
    }
    return x;
  });
}
