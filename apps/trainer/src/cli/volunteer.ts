import type { Command } from "commander";
import { db, deleteVolunteer } from "@hiwl/db";
import { count } from "./text.ts";

export function registerVolunteer(program: Command) {
  const volunteer = program.command("volunteer").description("volunteer identities");
  volunteer
    .command("delete <id>")
    .description("remove a volunteer (spam clean-up) with their classifications, rebuilding the tallies they touched")
    .action(async (id: string) => {
      const { classifications, galaxies } = await deleteVolunteer(db(), id);
      console.log(
        `volunteer ${id} deleted with ${count(classifications, "classification")}; ` +
          `tallies, counts and consensus of ${count(galaxies, "galaxy", "galaxies")} rebuilt`,
      );
    });
}
