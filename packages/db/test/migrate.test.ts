import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ANSWER_IDS, classDistribution, countAnswers, cumulativeFractions } from "@hiwl/model";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { checkTallies, createDb, databasePath, migrate, MigrationError } from "../src/index.ts";
import { testProvider } from "../src/testing.ts";
import { WALKS } from "./helpers.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/**
 * A data directory whose database an earlier release left: the migrations before `upTo`,
 * applied as Prisma records them.
 */
function oldDatabase(upTo: string): { dir: string; sqlite: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), "hiwl-upgrade-"));
  dirs.push(dir);
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
  return { dir, sqlite };
}

const appliedMigrations = (dir: string) => {
  const sqlite = new Database(databasePath(dir), { readonly: true });
  try {
    return (sqlite.prepare(`SELECT "migration_name" FROM "_prisma_migrations" ORDER BY 1`).all() as { migration_name: string }[]).map(
      (r) => r.migration_name,
    );
  } finally {
    sqlite.close();
  }
};

// Databases that earlier releases left exist on SQLite only: PostgreSQL support began with one
// migration of its own (client.test.ts tests it).
describe.runIf(testProvider() === "sqlite")("migrating an existing database", () => {
  it("keeps its classifications (each given an idempotency key) and fills in the stored consensus", async () => {
    const { dir, sqlite } = oldDatabase("20261205000000_trust");
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
      expect(rows.map((c) => [c.id, c.idempotencyKey, c.flag, c.clientKey, c.answers])).toEqual([
        [1, "migrated-1", null, null, WALKS.edgeOn],
        [2, "migrated-2", null, null, WALKS.edgeOn],
      ]);
      expect(await db.galaxy.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ classificationCount: 2, consensus: "edge-on", consensusShare: 1 });
      expect(await checkTallies(db)).toEqual([]);
    } finally {
      await db.$disconnect();
    }
    // Applied once: a second run changes nothing.
    await migrate(dir);
  });

  it("turns stored JSON text into JSON values, renames the flags, and fills in image hashes and consensus shares", async () => {
    const { dir, sqlite } = oldDatabase("20261212000000_json_enums_image_hash");
    const now = Date.now();
    const image = Buffer.from("not really a JPEG, but bytes to hash");
    mkdirSync(join(dir, "images"));
    writeFileSync(join(dir, "images", "a.jpg"), image);
    const truth = { kind: "smooth", axisRatio: 0.8, positionAngle: 1, radius: 20, angularRadius: 4, brightness: 3, sersicIndex: 4, bulgeFraction: 1,
      bulgeShape: "round", bulgeAxisRatio: 0.8, coreColour: [1, 1, 1], outerColour: [1, 0.9, 0.8], disk: null, oddFeature: "none", oddStrength: 0 };
    const prior = ANSWER_IDS.map((_, i) => (i < 3 ? 1 / 3 : 0));
    // Four spirals and one round vote; the third volunteer's second vote came from the same address.
    const walks = [WALKS.spiral, WALKS.spiral, WALKS.spiral, WALKS.spiral, WALKS.round];
    const galaxy = sqlite.prepare(
      `INSERT INTO "Galaxy" ("id", "externalId", "source", "imagePath", "metadata", "priorFractions", "classificationCount", "consensus", "createdAt")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    galaxy.run(1, "hiwl-1", "synthetic", "images/a.jpg", JSON.stringify({ truth }), null, walks.length, "spiral", now);
    // Its image file is gone: no hash to compute.
    galaxy.run(2, "100", "kaggle", "images/gone.jpg", JSON.stringify({ objid_label: "spiral" }), JSON.stringify(prior), 0, null, now);
    const volunteer = sqlite.prepare(`INSERT INTO "Volunteer" ("id", "role", "username", "createdAt") VALUES (?, ?, ?, ?)`);
    for (const [i] of walks.entries()) volunteer.run(`v${i}`, "volunteer", null, now);
    volunteer.run("spammer", "volunteer", null, now);
    volunteer.run("alice", "researcher", "alice", now);
    const classification = sqlite.prepare(
      `INSERT INTO "Classification" ("id", "volunteerId", "galaxyId", "answers", "startedAt", "finishedAt", "idempotencyKey", "flag")
       VALUES (?, ?, 1, ?, ?, ?, ?, ?)`,
    );
    for (const [i, walk] of walks.entries()) classification.run(i + 1, `v${i}`, JSON.stringify(walk), now, now, `key-${i}`, i === 4 ? "after-retirement" : null);
    classification.run(6, "spammer", JSON.stringify(WALKS.edgeOn), now, now, "key-spam", "same-address");
    const tally = sqlite.prepare(`INSERT INTO "VoteTally" ("galaxyId", "answerId", "count") VALUES (1, ?, ?)`);
    const { counts } = countAnswers(walks.map((w) => [...w]));
    for (const [answer, count] of Object.entries(counts)) tally.run(answer, count);
    sqlite
      .prepare(`INSERT INTO "TrainingJob" ("id", "status", "config", "progress", "requestedById", "createdAt") VALUES (1, 'succeeded', ?, ?, 'alice', ?)`)
      .run(JSON.stringify({ epochs: 3 }), JSON.stringify({ phase: "done", epoch: 3, epochs: 3, loss: 0.25 }), now);
    const metrics = { accuracy: 0.8, classes: ["round", "spiral"], curves: { flat: [] } };
    sqlite
      .prepare(`INSERT INTO "ModelVersion" ("id", "version", "path", "config", "metrics", "active", "createdAt", "trainingJobId") VALUES (1, 'm1', 'models/m1', ?, ?, 1, ?, 1)`)
      .run(JSON.stringify({ variant: "nano", inputSize: 32, backend: "wasm" }), JSON.stringify(metrics), now);
    sqlite.close();

    await migrate(dir);
    const db = createDb({ dataDir: dir });
    try {
      const [g1, g2] = await db.galaxy.findMany({ orderBy: { id: "asc" } });
      const fractions = cumulativeFractions(counts, walks.length);
      expect(g1).toMatchObject({
        metadata: { truth },
        priorFractions: null,
        imageHash: createHash("sha256").update(image).digest("hex"),
        consensus: "spiral",
        consensusShare: classDistribution(fractions)!.spiral,
      });
      // 4 of 5 disk votes, all face-on: spiral takes 0.8 of the distribution.
      expect(g1!.consensusShare).toBeCloseTo(0.8, 12);
      expect(g2).toMatchObject({ metadata: { objid_label: "spiral" }, priorFractions: prior, imageHash: null, consensus: null, consensusShare: null });

      const classifications = await db.classification.findMany({ orderBy: { id: "asc" } });
      expect(classifications.map((c) => [c.answers, c.flag])).toEqual([
        ...walks.map((w, i) => [w, i === 4 ? "after_retirement" : null]),
        [WALKS.edgeOn, "same_address"],
      ]);
      expect(await db.trainingJob.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({
        status: "succeeded",
        config: { epochs: 3 },
        progress: { phase: "done", epoch: 3, epochs: 3, loss: 0.25 },
      });
      expect(await db.modelVersion.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({
        config: { variant: "nano", inputSize: 32, backend: "wasm" },
        metrics,
      });
      expect((await db.volunteer.findMany({ orderBy: { id: "asc" } })).map((v) => [v.id, v.role])).toEqual([
        ["alice", "researcher"],
        ["spammer", "volunteer"],
        ...walks.map((_, i) => [`v${i}`, "volunteer"]),
      ]);
      // The flags count as before: the same-address vote is in no tally.
      expect(await checkTallies(db)).toEqual([]);

      // The file comes back: the next migrate fills in its hash, and changes nothing else.
      writeFileSync(join(dir, "images", "gone.jpg"), Buffer.from("other bytes"));
      await db.$disconnect();
      await migrate(dir);
      expect((await db.galaxy.findUniqueOrThrow({ where: { id: 2 } })).imageHash).toBe(createHash("sha256").update("other bytes").digest("hex"));
      expect((await db.galaxy.findUniqueOrThrow({ where: { id: 1 } })).imageHash).toBe(g1!.imageHash);
    } finally {
      await db.$disconnect();
    }
  });

  it("refuses to start on values the new columns cannot hold, naming each row, and changes nothing", async () => {
    const { dir, sqlite } = oldDatabase("20261212000000_json_enums_image_hash");
    const now = Date.now();
    sqlite.prepare(`INSERT INTO "Galaxy" ("id", "externalId", "source", "imagePath", "metadata", "createdAt") VALUES (7, 'a', 's', 'a.jpg', '{"label": ', ?)`).run(now);
    sqlite.prepare(`INSERT INTO "TrainingJob" ("id", "status", "config", "createdAt") VALUES (3, 'paused', '{}', ?)`).run(now);
    sqlite.close();
    const before = appliedMigrations(dir);

    const refused = migrate(dir);
    await expect(refused).rejects.toThrow(MigrationError);
    await expect(refused).rejects.toThrow(
      'cannot apply 20261212000000_json_enums_image_hash to ' +
        `${databasePath(dir)}: fix or remove these rows first (at most 10 per column):\n` +
        '  Galaxy 7 metadata: "{\\"label\\": " is not JSON\n' +
        '  TrainingJob 3 status: "paused" is not one of queued, running, succeeded, failed',
    );
    expect(appliedMigrations(dir)).toEqual(before);

    // Fixed by hand, the upgrade goes through.
    const fix = new Database(databasePath(dir));
    fix.exec(`UPDATE "Galaxy" SET "metadata" = '{"label": "x"}'; UPDATE "TrainingJob" SET "status" = 'failed'`);
    fix.close();
    await migrate(dir);
    const rest = readdirSync(MIGRATIONS).filter((n) => /^\d{14}_/.test(n) && n >= "20261212000000_json_enums_image_hash");
    expect(appliedMigrations(dir)).toEqual([...before, ...rest.sort()]);
  });
});
