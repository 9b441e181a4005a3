import type { Command } from "commander";
import { backupDatabase, checkTallies, databaseDescription, db, migrate, repairTallies, type TallyMismatch } from "@hiwl/db";
import { count } from "./text.ts";

/** Mismatches printed in full; the rest are counted. */
const SHOWN = 20;

function printMismatches(mismatches: readonly TallyMismatch[]) {
  const galaxies = new Set(mismatches.map((m) => m.galaxyId)).size;
  console.log(`${count(mismatches.length, "mismatch", "mismatches")} in ${count(galaxies, "galaxy", "galaxies")}:`);
  for (const m of mismatches.slice(0, SHOWN)) {
    // Answer ids ("1.1") are the tallies; the other fields name themselves.
    const field = /^\d+\.\d+$/.test(m.field) ? `answer ${m.field}` : m.field;
    console.log(`  galaxy ${m.galaxyId}, ${field}: stored ${JSON.stringify(m.stored)}, recomputed ${JSON.stringify(m.recomputed)}`);
  }
  if (mismatches.length > SHOWN) console.log(`  ... and ${mismatches.length - SHOWN} more`);
}

export function registerDb(program: Command) {
  const group = program.command("db").description("the platform database (PostgreSQL at $DATABASE_URL, or SQLite under $HIWL_DATA_DIR)");
  group
    .command("migrate")
    .description("apply the committed migrations to the database: once per deployment, before the web servers start")
    .action(async () => {
      await migrate();
      console.log(`database up to date: ${databaseDescription()}`);
    });
  group
    .command("backup")
    .description("copy the database to FILE while the site and the worker keep running (pg_dump or SQLite's VACUUM INTO; restore: docs/operations.md)")
    .argument("<file>", "where the copy goes (a new file)")
    .option("--overwrite", "replace FILE if it exists")
    .action(async (file: string, options: { overwrite?: boolean }) => {
      const result = await backupDatabase(file, { overwrite: options.overwrite });
      const size = `${(result.bytes / 1e6).toFixed(1)} MB`;
      console.log(
        `backed up ${databaseDescription()} to ${result.file} (${size}, ${result.checked}: ${count(result.galaxies, "galaxy", "galaxies")}, ${count(result.classifications, "classification", "classifications")})`,
      );
    });
  group
    .command("check")
    .description("compare every galaxy's vote tallies, count and consensus with its classifications")
    .option("--repair", "rebuild the galaxies that differ from their classifications")
    .action(async (options: { repair?: boolean }) => {
      const matching = async () =>
        console.log(`tallies, counts and consensus match the classifications (${count(await db().galaxy.count(), "galaxy", "galaxies")})`);
      const mismatches = await checkTallies(db());
      if (mismatches.length === 0) return matching();
      printMismatches(mismatches);
      if (!options.repair) {
        throw new Error("tallies do not match the classifications: `hiwl db check --repair` rebuilds them from the classifications");
      }
      const rebuilt = await repairTallies(db());
      console.log(`rebuilt the tallies, counts and consensus of ${count(rebuilt, "galaxy", "galaxies")} from their classifications`);
      const left = await checkTallies(db());
      if (left.length === 0) return matching();
      // Only a write racing the repair (a classification arriving meanwhile) gets here.
      printMismatches(left);
      throw new Error(`${count(left.length, "mismatch", "mismatches")} left after the repair: run \`hiwl db check --repair\` again`);
    });
}
