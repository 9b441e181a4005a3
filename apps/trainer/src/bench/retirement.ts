/**
 * `hiwl bench retirement` (`npm run bench:retirement`): the votes each set of retirement rules
 * spends per galaxy and how often the crowd's answer at retirement is the truth, on the
 * synthetic sky with simulated volunteers. It is how the default consensus rule was chosen.
 */
import type { Command } from "commander";
import { DEFAULT_RETIREMENT, type RetirementRules } from "@hiwl/model";
import { simulateRetirement } from "./retirement-sim.ts";
import { COUNT_RETIREMENT } from "./al-run.ts";
import { markdownTable, percent } from "./markdown-table.ts";
import { integer } from "../cli/option-parsers.ts";

const consensus = (share: number, minVotes: number): RetirementRules => ({
  ...DEFAULT_RETIREMENT,
  consensusShare: share,
  consensusMinVotes: minVotes,
});

const RETIREMENT_VARIANTS: readonly { name: string; rules: RetirementRules }[] = [
  { name: "count 15 only (Zooniverse; random order in bench:al)", rules: COUNT_RETIREMENT },
  { name: "consensus 90% after 5", rules: consensus(0.9, 5) },
  { name: "consensus 80% after 5", rules: consensus(0.8, 5) },
  { name: `consensus ${100 * DEFAULT_RETIREMENT.consensusShare}% after ${DEFAULT_RETIREMENT.consensusMinVotes} (default)`, rules: DEFAULT_RETIREMENT },
  { name: "consensus 70% after 3", rules: consensus(0.7, 3) },
  { name: "consensus 60% after 3", rules: consensus(0.6, 3) },
];

export function registerBenchRetirement(bench: Command) {
  bench
    .command("retirement")
    .description("votes per galaxy and label accuracy under each retirement rule, with simulated volunteers on the synthetic sky")
    .option("--galaxies <n>", "synthetic galaxies", integer("--galaxies", 1), 3000)
    .option("--crowd <n>", "simulated volunteers", integer("--crowd", 1), 300)
    .option("--seed <s>", "galaxies, volunteers and their answers", "retirement")
    .action((opts: { galaxies: number; crowd: number; seed: string }) => {
      // Count-only retirement spends exactly its count on every galaxy.
      const baseline = COUNT_RETIREMENT.count;
      const rows = RETIREMENT_VARIANTS.map(({ name, rules }) => {
        const r = simulateRetirement(rules, opts);
        return [name, r.meanVotes.toFixed(1), percent(1 - r.meanVotes / baseline), percent(r.labelAccuracy), percent(r.early)];
      });
      console.log(`${opts.galaxies} synthetic galaxies, ${opts.crowd} simulated volunteers, seed "${opts.seed}"\n`);
      console.log(markdownTable(["rules", "votes per galaxy", "votes saved", "crowd label = truth", "retired early"], rows));
    });
}
