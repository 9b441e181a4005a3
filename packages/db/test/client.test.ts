import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createDb, createModelVersion, databasePath, db, migrate, MigrationError, pathToStore, Prisma } from "../src/index.ts";
import { testProvider } from "../src/testing.ts";
import { useTestDb } from "./helpers.ts";

const t = useTestDb();

describe.runIf(testProvider() === "sqlite")("createDb and migrate on SQLite", () => {
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

});

describe("createDb on either database", () => {
  it("db() is one shared client on HIWL_DATA_DIR", async () => {
    await t.db.volunteer.upsert({ where: { id: "kept" }, create: { id: "kept" }, update: {} });
    expect(db()).toBe(db());
    expect(await db().volunteer.findUnique({ where: { id: "kept" } })).not.toBeNull();
    await db().$disconnect();
  });

  it("two clients (like two processes) see each other's commits", async () => {
    const other = createDb({ dataDir: t.dataDir, url: t.url });
    try {
      await other.volunteer.create({ data: { id: "from-other" } });
      expect(await t.db.volunteer.findUnique({ where: { id: "from-other" } })).not.toBeNull();
    } finally {
      await other.$disconnect();
    }
  });

  it("holds exactly one active model version, whoever writes", async () => {
    const a = await createModelVersion(t.db, { version: "one-a", path: "models/one-a", config: {}, metrics: {} });
    const b = await createModelVersion(t.db, { version: "one-b", path: "models/one-b", config: {}, metrics: {} });
    await t.db.modelVersion.update({ where: { id: a.id }, data: { active: true } });
    const error = await t.db.modelVersion.update({ where: { id: b.id }, data: { active: true } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((error as Prisma.PrismaClientKnownRequestError).code).toBe("P2002");
    expect((await t.db.modelVersion.findMany({ where: { active: true } })).map((v) => v.version)).toEqual(["one-a"]);
  });

  it("migrate stores model paths inside the data directory relative to it, so the directory can move", async () => {
    const inside = await createModelVersion(t.db, { version: "abs-in", path: join(t.dataDir, "models", "abs-in"), config: {}, metrics: {} });
    const outside = await createModelVersion(t.db, { version: "abs-out", path: "/srv/elsewhere/abs-out", config: {}, metrics: {} });
    const relative = await createModelVersion(t.db, { version: "rel", path: "models/rel", config: {}, metrics: {} });
    if (t.provider === "sqlite") await t.db.$disconnect(); // SQLite's migrate needs the database alone
    await migrate(t.dataDir, t.url);
    const paths = await t.db.modelVersion.findMany({ where: { id: { in: [inside.id, outside.id, relative.id] } }, orderBy: { id: "asc" } });
    expect(paths.map((v) => v.path)).toEqual([join("models", "abs-in"), "/srv/elsewhere/abs-out", "models/rel"]);
    expect(pathToStore(join(t.dataDir, "models", "v"), t.dataDir)).toBe(join("models", "v"));
    expect(pathToStore(`${t.dataDir}-other/v`, t.dataDir)).toBe(`${t.dataDir}-other/v`);
    await t.db.modelVersion.deleteMany({ where: { id: { in: [inside.id, outside.id, relative.id] } } });
  });

  it("names DATABASE_URL when it is neither PostgreSQL nor empty", () => {
    expect(() => createDb({ url: "mysql://root:secret@db/hiwl" })).toThrow(
      'DATABASE_URL must be a postgresql:// URL (got "mysql://…@db/hiwl"); leave it unset for the SQLite database under HIWL_DATA_DIR',
    );
  });
});

describe.runIf(testProvider() === "sqlite")("one connection on SQLite", () => {
  it("keeps statements prepared: each run gets its own parameters, also past the cache's size", async () => {
    await t.db.volunteer.createMany({ data: [{ id: "stmt-a", displayName: "A" }, { id: "stmt-b", displayName: "B" }] });
    for (let round = 0; round < 3; round++) {
      expect((await t.db.volunteer.findUnique({ where: { id: "stmt-a" } }))?.displayName).toBe("A");
      expect((await t.db.volunteer.findUnique({ where: { id: "stmt-b" } }))?.displayName).toBe("B");
    }
    // More distinct statements than are kept: the oldest are prepared again when next used.
    for (let i = 0; i < 600; i++) expect(await t.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT ${i} AS n`)).toEqual([{ n: BigInt(i) }]);
    expect((await t.db.volunteer.findUnique({ where: { id: "stmt-b" } }))?.displayName).toBe("B");
    const rows = await Promise.all(["stmt-a", "stmt-b", "none"].map((id) => t.db.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Volunteer" WHERE "id" = ${id}`));
    expect(rows).toEqual([[{ id: "stmt-a" }], [{ id: "stmt-b" }], []]);
  });

  it("a statement's columns follow a schema changed by another connection (a migration while serving)", async () => {
    await t.db.volunteer.create({ data: { id: "cols", displayName: "C" } });
    const row = async () => (await t.db.$queryRaw<Record<string, unknown>[]>`SELECT * FROM "Volunteer" WHERE "id" = 'cols'`)[0]!;
    expect(await row()).not.toHaveProperty("motto");
    const other = new Database(databasePath(t.dataDir));
    try {
      other.exec(`ALTER TABLE "Volunteer" ADD COLUMN "motto" TEXT DEFAULT 'ad astra'`);
    } finally {
      other.close();
    }
    expect(await row()).toMatchObject({ id: "cols", displayName: "C", motto: "ad astra" });
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

});

describe.runIf(testProvider() === "postgresql")("migrate on PostgreSQL", () => {
  const applied = async () =>
    (await t.db.$queryRaw<{ migration_name: string }[]>`SELECT "migration_name" FROM "_prisma_migrations" ORDER BY 1`).map((r) => r.migration_name);

  it("is a no-op on an up-to-date database, also when several processes run it at once", async () => {
    const before = await applied();
    expect(before.length).toBeGreaterThanOrEqual(1);
    await t.db.volunteer.upsert({ where: { id: "kept" }, create: { id: "kept" }, update: {} });
    // Unlike SQLite, other connections stay open meanwhile.
    await Promise.all([migrate(t.dataDir, t.url), migrate(t.dataDir, t.url), migrate(t.dataDir, t.url)]);
    expect(await applied()).toEqual(before);
    expect(await t.db.volunteer.findUnique({ where: { id: "kept" } })).not.toBeNull();
  });

  it("refuses a database migrated by a newer version, and names an unreachable server", async () => {
    await t.db.$executeRaw`INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "applied_steps_count")
      VALUES ('future', 'x', now(), '29990101000000_future', 1)`;
    try {
      await expect(migrate(t.dataDir, t.url)).rejects.toThrow(/has migrations this code does not know \(29990101000000_future\)/);
    } finally {
      await t.db.$executeRaw`DELETE FROM "_prisma_migrations" WHERE "id" = 'future'`;
    }
    const error = await migrate(t.dataDir, "postgresql://hiwl:secret@127.0.0.1:1/hiwl").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/^cannot reach PostgreSQL at 127\.0\.0\.1:1\/hiwl: .*ECONNREFUSED/);
    expect((error as Error).message).not.toContain("secret");
  });
});
