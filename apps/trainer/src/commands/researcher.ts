import type { Command } from "commander";
import { createResearcher, db } from "@hiwl/db";
import { readSecret } from "../prompt.ts";

export function registerResearcher(program: Command) {
  const researcher = program.command("researcher").description("researcher accounts (sign-in to the dashboard)");
  researcher
    .command("add <username>")
    .description("create a researcher; the password is read from $HIWL_RESEARCHER_PASSWORD or asked for")
    .action(async (username: string) => {
      const password = process.env.HIWL_RESEARCHER_PASSWORD ?? (await readSecret(`password for ${username}: `));
      await createResearcher(db(), username, password);
      console.log(`researcher "${username}" created`);
    });
}
