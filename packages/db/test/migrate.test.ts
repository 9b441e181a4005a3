import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { checkTallies, createDb, databasePath, migrate } from "../src/index.ts";
import { WALKS } from "./helpers.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "hiwl-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database as an installation of the first release left it: the migrations before `upTo`, applied as Prisma records them. */
function oldDatabase(upTo: string): Database.Database {
  const sqlite = new Database(databasePath(dir));
  sqlite.exec(`CREATE TABLE "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,
    "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
  for (const name of readdirSync(MIGRATIONS).filter((n) => /^\d{14}_/.test(n) && n < upTo).sort()) {
    const sql = readFileSync(join(MIGRATIONS, name, "migration.sql"), "utf8");
    sqlite.exec(sql);
    sqlite
      .prepare(`INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "applied_steps_count") VALUES (?, ?, ?, ?, 1)`)
      .run(randomUUID(), createHash("sha256").update(sql).digest("hex"), Date.now(), name);
  }
  return sqlite;
}

describe("migrating an existing database", () => {
  it("keeps its classifications (each given an idempotency key) and fills in the stored consensus", async () => {
    const sqlite = oldDatabase("20261205000000_trust");
    const now = Date.now();
    sqlite.prepare(`INSERT INTO "Galaxy" ("id", "externalId", "source", "imagePath", "classificationCount", "createdAt") VALUES (1, 'a', 's', 'a.jpg', 2, ?)`).run(now);
    sqlite.prepare(`INSERT INTO "Volunteer" ("id", "createdAt") VALUES ('v1', ?), ('v2', ?)`).run(now, now);
    const insert = sqlite.prepare(
      `INSERT INTO "Classification" ("id", "volunteerId", "galaxyId", "answers", "startedAt", "finishedAt") VALUES (?, ?, 1, ?, ?, ?)`,
    );
    insert.run(1, "v1", JSON.stringify(WALKS.edgeOn), now, now);
    insert.run(2, "v2", JSON.stringify(WALKS.edgeOn), now, now);
    const tally = sqlite.prepare(`INSERT INTO "VoteTally" ("galaxyId", "answerId", "count") VALUES (1, ?, 2)`);
    for (const answer of WALKS.edgeOn) tally.run(answer);
    sqlite.close();

    await migrate(dir);
    const db = createDb({ dataDir: dir });
    try {
      const rows = await db.classification.findMany({ orderBy: { id: "asc" } });
      expect(rows.map((c) => [c.id, c.idempotencyKey, c.flag, c.clientKey])).toEqual([
        [1, "migrated-1", null, null],
        [2, "migrated-2", null, null],
      ]);
      expect(await db.galaxy.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ classificationCount: 2, consensus: "edge-on" });
      expect(await checkTallies(db)).toEqual([]);
    } finally {
      await db.$disconnect();
    }
    // Applied once: a second run changes nothing.
    await migrate(dir);
  });
});
