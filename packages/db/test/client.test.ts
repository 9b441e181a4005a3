import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDb, db, migrate, MigrationError } from "../src/index.ts";
import { useTestDb } from "./helpers.ts";

const t = useTestDb();

describe("createDb and migrate", () => {
  it("opens the migrated database in WAL mode with a busy timeout and foreign keys", async () => {
    const [mode] = await t.db.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
    const [timeout] = await t.db.$queryRawUnsafe<{ timeout: bigint }[]>("PRAGMA busy_timeout");
    const [fk] = await t.db.$queryRawUnsafe<{ foreign_keys: bigint }[]>("PRAGMA foreign_keys");
    expect(mode?.journal_mode).toBe("wal");
    expect(Number(timeout?.timeout)).toBe(5000);
    expect(Number(fk?.foreign_keys)).toBe(1);
    expect(await t.db.galaxy.count()).toBe(0);
  });

  it("migrate needs the database alone, and is a no-op on an up-to-date one", async () => {
    await t.db.volunteer.create({ data: { id: "kept" } });
    await expect(migrate(t.dataDir)).rejects.toThrow(/open in another connection/);
    await t.db.$disconnect();
    await migrate(t.dataDir);
    expect(await t.db.volunteer.findUnique({ where: { id: "kept" } })).not.toBeNull();
    const applied = await t.db.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT COUNT(*) AS n FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL`,
    );
    expect(Number(applied[0]?.n)).toBeGreaterThanOrEqual(1);
  });

  it("surfaces the CLI's error as a MigrationError", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hiwl-db-bad-"));
    mkdirSync(join(dir, "hiwl.db")); // a directory where the database file should be
    try {
      const error = await migrate(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as Error).message).toMatch(/^cannot migrate .*hiwl-db-bad-\S+: .*hiwl\.db cannot be opened as a database/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("db() is one shared client on HIWL_DATA_DIR", async () => {
    expect(db()).toBe(db());
    expect(await db().volunteer.findUnique({ where: { id: "kept" } })).not.toBeNull();
    await db().$disconnect();
  });

  it("a write outside a transaction survives another request's rolled-back transaction", async () => {
    // Both share the client's single connection (see serialise in client.ts).
    const failing = t.db
      .$transaction(async (tx) => {
        await tx.volunteer.create({ data: { id: "rolled-back" } });
        await new Promise((r) => setTimeout(r, 50));
        throw new Error("abort");
      })
      .catch((e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 10));
    await t.db.volunteer.create({ data: { id: "outside" } });
    expect(await failing).toBe("abort");
    const ids = (await t.db.volunteer.findMany({ select: { id: true } })).map((v) => v.id);
    expect(ids).toContain("outside");
    expect(ids).not.toContain("rolled-back");
  });

  it("two clients (like two processes) see each other's commits", async () => {
    const other = createDb({ dataDir: t.dataDir });
    try {
      await other.volunteer.create({ data: { id: "from-other" } });
      expect(await t.db.volunteer.findUnique({ where: { id: "from-other" } })).not.toBeNull();
    } finally {
      await other.$disconnect();
    }
  });
});
