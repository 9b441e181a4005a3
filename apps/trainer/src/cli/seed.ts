import type { Command } from "commander";
import { DEFAULT_SEED, type SeedResult, seedDefault, seedSynthetic } from "@hiwl/catalog";
import { db } from "@hiwl/db";
import { phasedProgress } from "./progress.ts";

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
};

function report(result: SeedResult) {
  console.log(
    `synthetic: ${result.added} galaxies added, ${result.skipped} already present, ${result.classifications} simulated classifications`,
  );
}

export function registerSeed(program: Command) {
  const seed = program.command("seed").description("synthetic galaxies with known truth (the embedded default catalogue)");

  seed
    .command("synthetic")
    .description("render synthetic galaxies, optionally with simulated volunteer classifications")
    .requiredOption("--count <n>", "number of galaxies", positiveInt("--count"))
    .option("--votes <k>", "simulated classifications per galaxy", positiveInt("--votes"), 0)
    .option("--seed <s>", "base seed: the same seed and count give the same catalogue", DEFAULT_SEED.seed)
    .action(async (opts: { count: number; votes: number; seed: string }) => {
      const progress = phasedProgress();
      try {
        report(await seedSynthetic(db(), { ...opts, onProgress: progress.onProgress }));
      } finally {
        progress.stop();
      }
    });

  seed
    .command("default")
    .description(
      `seed ${DEFAULT_SEED.count} synthetic galaxies (${DEFAULT_SEED.votedFraction * 100}% with ${DEFAULT_SEED.votes} simulated votes) if the database has no galaxies`,
    )
    .action(async () => {
      const progress = phasedProgress();
      try {
        const result = await seedDefault(db(), progress.onProgress);
        progress.stop();
        if (result) report(result);
        else console.log("the database already has galaxies: nothing seeded");
      } finally {
        progress.stop();
      }
    });
}
