/**
 * For the tests of every package (imported as "@hiwl/db/testing", never by the apps): a real,
 * migrated SQLite database in a fresh temporary HIWL_DATA_DIR.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createDb, type Db } from "./client.ts";
import { migrate } from "./migrate.ts";

export interface TestDb {
  db: Db;
  dataDir: string;
}

/**
 * A migrated database in a fresh temporary HIWL_DATA_DIR for the calling test file, removed
 * after its tests. Fields are filled in beforeAll.
 */
export function useTestDb(): TestDb {
  const ctx = {} as TestDb;
  beforeAll(async () => {
    ctx.dataDir = mkdtempSync(join(tmpdir(), "hiwl-db-test-"));
    process.env.HIWL_DATA_DIR = ctx.dataDir;
    await migrate(ctx.dataDir);
    ctx.db = createDb({ dataDir: ctx.dataDir });
  });
  afterAll(async () => {
    await ctx.db?.$disconnect();
    rmSync(ctx.dataDir, { recursive: true, force: true });
  });
  return ctx;
}

