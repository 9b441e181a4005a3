import type { Command } from "commander";
import { databasePath, migrate } from "@hiwl/db";

export function registerDb(program: Command) {
  const db = program.command("db").description("the platform database (SQLite under $HIWL_DATA_DIR)");
  db.command("migrate")
    .description("apply the committed migrations (prisma/migrations) to the database")
    .action(async () => {
      await migrate();
      console.log(`database up to date: ${databasePath()}`);
    });
}
