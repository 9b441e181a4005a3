import type { Command } from "commander";
import { createResearcher, db, disableResearcher, enableResearcher, listResearchers, setResearcherPassword } from "@hiwl/db";
import { readSecret } from "./prompt.ts";
import { count, textTable, utcMinute } from "./text.ts";

const passwordFor = async (username: string) =>
  process.env.HIWL_RESEARCHER_PASSWORD ?? (await readSecret(`password for ${username}: `));

export function registerResearcher(program: Command) {
  const researcher = program.command("researcher").description("researcher accounts (sign-in to the dashboard)");
  researcher
    .command("add <username>")
    .description("create a researcher; the password is read from $HIWL_RESEARCHER_PASSWORD or asked for")
    .action(async (username: string) => {
      await createResearcher(db(), username, await passwordFor(username));
      console.log(`researcher "${username}" created`);
    });
  researcher
    .command("passwd <username>")
    .description("set a researcher's password ($HIWL_RESEARCHER_PASSWORD or asked for) and end all their sessions")
    .action(async (username: string) => {
      const { sessionsEnded } = await setResearcherPassword(db(), username, await passwordFor(username));
      console.log(`password of "${username}" changed; ${count(sessionsEnded, "session")} ended`);
    });
  researcher
    .command("disable <username>")
    .description("stop a researcher from signing in and end all their sessions")
    .action(async (username: string) => {
      const { sessionsEnded } = await disableResearcher(db(), username);
      console.log(`researcher "${username}" disabled; ${count(sessionsEnded, "session")} ended`);
    });
  researcher
    .command("enable <username>")
    .description("let a disabled researcher sign in again")
    .action(async (username: string) => {
      await enableResearcher(db(), username);
      console.log(`researcher "${username}" enabled`);
    });
  researcher
    .command("list")
    .description("every researcher: state, live sessions and last request")
    .action(async () => {
      const researchers = await listResearchers(db());
      if (researchers.length === 0) {
        console.log("no researchers yet: create one with `hiwl researcher add <username>`");
        return;
      }
      const rows = researchers.map((r) => [
        r.username,
        r.displayName ?? "",
        utcMinute(r.createdAt),
        r.disabledAt ? `disabled ${utcMinute(r.disabledAt)}` : "active",
        String(r.liveSessions),
        r.lastSeenAt ? utcMinute(r.lastSeenAt) : "-",
      ]);
      console.log(textTable(["username", "name", "created (UTC)", "state", "live sessions", "last seen (UTC)"], rows));
    });
}
