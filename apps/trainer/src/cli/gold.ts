import type { Command } from "commander";
import { importGoldStandards } from "@hiwl/catalog";
import { db, listGoldStandards, listVolunteerSkills, refreshVolunteerSkills } from "@hiwl/db";
import { count, textTable, utcMinute } from "./text.ts";

const percent = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(0)}%` : "-");

export function registerGold(program: Command) {
  const gold = program.command("gold").description("gold-standard galaxies: expert answers mixed into volunteers' queues ($HIWL_GOLD)");
  gold
    .command("import <file>")
    .description("mark galaxies gold from a CSV file with the columns source, externalId, answers (all rows or none)")
    .action(async (file: string) => {
      console.log(`${count(await importGoldStandards(db(), file), "gold galaxy", "gold galaxies")} imported from ${file}`);
    });
  gold
    .command("list")
    .description("every gold galaxy, with how many volunteers classified it and agreed with the expert")
    .action(async () => {
      const entries = await listGoldStandards(db());
      if (entries.length === 0) {
        console.log("no gold galaxies yet: mark them on a galaxy's page or with `hiwl gold import <file>`");
        return;
      }
      const rows = entries.map((e) => [
        String(e.galaxyId),
        e.externalId,
        e.answers.join(" "),
        e.markedBy ?? e.origin,
        utcMinute(e.createdAt),
        String(e.classifications),
        percent(e.agreed, e.classifications),
      ]);
      console.log(textTable(["galaxy", "catalogue id", "expert answers", "from", "marked (UTC)", "classified", "agreed"], rows));
    });

  program
    .command("skills")
    .description("estimate every volunteer's skill afresh (the worker does before each training) and print the most active")
    .option("--top <n>", "volunteers to print", (v) => Number.parseInt(v, 10), 20)
    .action(async (opts: { top: number }) => {
      const { volunteers } = await refreshVolunteerSkills(db());
      console.log(`skills of ${count(volunteers, "volunteer")} estimated`);
      const page = await listVolunteerSkills(db(), { pageSize: opts.top });
      const rows = page.volunteers.map((v) => [
        v.displayName ?? v.volunteerId,
        String(v.classifications),
        `${v.goldAgreement}/${v.goldAnswers}`,
        percent(v.consensusAgreement, v.consensusAnswers),
        v.reliability === null ? "-" : v.reliability.toFixed(2),
      ]);
      if (rows.length) console.log(textTable(["volunteer", "classifications", "gold agreed", "consensus agreement", "reliability"], rows));
    });
}
