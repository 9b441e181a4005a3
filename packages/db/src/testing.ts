/**
 * For the tests of every package (imported as "@hiwl/db/testing", never by the apps): a real,
 * migrated database for each test file. SQLite in a fresh temporary HIWL_DATA_DIR; with
 * HIWL_TEST_DATABASE=postgresql, a fresh database on the server in HIWL_SCRATCH_POSTGRES_URL
 * (`npm test` starts one: scripts/with-postgres.mjs) and DATABASE_URL pointing at it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createDb, type Db, type Provider } from "./client.ts";
import { migrate } from "./migrate.ts";
import { createScratchDatabase, dropScratchDatabase } from "./scratch-postgres.ts";

export interface TestDb {
  db: Db;
  dataDir: string;
  provider: Provider;
  /** DATABASE_URL of this file's database: "" for SQLite. */
  url: string;
}

/** The database the tests run on: HIWL_TEST_DATABASE, "sqlite" unless set. */
export function testProvider(): Provider {
  const chosen = process.env.HIWL_TEST_DATABASE ?? "sqlite";
  if (chosen !== "sqlite" && chosen !== "postgresql") throw new Error(`HIWL_TEST_DATABASE must be sqlite or postgresql, not ${chosen}`);
  return chosen;
}

/**
 * A migrated database for the calling test file, removed after its tests. Fields are filled in
 * beforeAll. HIWL_DATA_DIR and DATABASE_URL are set to it, for the code and the processes the
 * tests start.
 */
export function useTestDb(): TestDb {
  const ctx = {} as TestDb;
  beforeAll(async () => {
    ctx.dataDir = mkdtempSync(join(tmpdir(), "hiwl-db-test-"));
    ctx.provider = testProvider();
    ctx.url = ctx.provider === "postgresql" ? await createScratchDatabase() : "";
    process.env.HIWL_DATA_DIR = ctx.dataDir;
    process.env.DATABASE_URL = ctx.url;
    await migrate(ctx.dataDir, ctx.url);
    ctx.db = createDb({ dataDir: ctx.dataDir, url: ctx.url });
  });
  afterAll(async () => {
    await ctx.db?.$disconnect();
    if (ctx.url) await dropScratchDatabase(ctx.url);
    rmSync(ctx.dataDir, { recursive: true, force: true });
  });
  return ctx;
}
