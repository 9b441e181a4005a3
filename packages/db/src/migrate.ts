import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { connectPostgres, createDb, databaseProvider, postgresLocation } from "./client.ts";
import { backfillImageHashes } from "./images.ts";
import { backfillConsensus } from "./integrity.ts";
import { relativiseModelPaths } from "./model-versions.ts";
import { databasePath, dataDir as defaultDataDir } from "./paths.ts";

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/** The monorepo root: the directory holding prisma/schema.prisma above this package. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "prisma", "schema.prisma"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new MigrationError("cannot find prisma/schema.prisma above packages/db");
    dir = parent;
  }
  return dir;
}

/**
 * Brings the database up to date: PostgreSQL when `url` (default DATABASE_URL) is a
 * postgresql:// URL (prisma/postgres/migrations, see migratePostgres), otherwise the SQLite
 * database under `dataDir` (prisma/migrations, with `prisma migrate deploy`). Run once per
 * deployment (`hiwl db migrate`), never by each web server.
 *
 * On SQLite, applies prisma/migrations to the database under `dataDir` with `prisma migrate deploy`.
 * The CLI (JS engine, see prisma.config.ts) is the one migration runner: it records applied
 * migrations in _prisma_migrations, so running it again is a no-op and the CLI and this
 * function never disagree.
 *
 * Then fills in what a migration could not compute in SQL: the consensus and its share
 * (backfillConsensus), the image hashes (backfillImageHashes, from the files under `dataDir`).
 *
 * Prisma's SQLite migrator takes the database with `PRAGMA locking_mode=EXCLUSIVE`: run this
 * before the web server or a trainer opens the database (or after they disconnect); while
 * another connection is open it fails after the busy timeout.
 */
export async function migrate(dataDir: string = defaultDataDir(), url: string | undefined = process.env.DATABASE_URL): Promise<void> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  if (databaseProvider(url) === "postgresql") await migratePostgres(url!);
  else await migrateSqlite(dir);
  const db = createDb({ dataDir: dir, url });
  try {
    await backfillConsensus(db);
    await backfillImageHashes(db, dir);
    await relativiseModelPaths(db, dir);
  } finally {
    await db.$disconnect();
  }
}

async function migrateSqlite(dir: string): Promise<void> {
  checkBeforeJsonColumns(databasePath(dir));
  const root = repoRoot();
  const cli = createRequire(join(root, "package.json")).resolve("prisma/build/index.js");
  try {
    await promisify(execFile)(process.execPath, [cli, "migrate", "deploy"], {
      cwd: root,
      env: {
        ...process.env,
        HIWL_DATA_DIR: dir,
        DATABASE_URL: "",
        // The CLI would otherwise try to reach Prisma's update server.
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
      timeout: 120_000,
    });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    const output = [err.stderr, err.stdout].filter(Boolean).join("\n").trim();
    // The CLI reports a locked database as an unknown "SocketTimeout" variant.
    const hint = /SocketTimeout|SQLITE_BUSY/.test(output)
      ? "the database is open in another connection (web server, trainer?) and migrating needs it alone. "
      : "";
    throw new MigrationError(`prisma migrate deploy failed for ${dir}: ${hint}${output || err.message}`, { cause: e });
  }
}

/** Any 64-bit number, the same in every process: the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 7_310_446_811_205_402;

/**
 * Applies prisma/postgres/migrations, each in a transaction of its own, and records them in
 * _prisma_migrations as Prisma does (the same table and checksums, so the Prisma CLI agrees
 * on what is applied). Prisma 6.19's CLI cannot migrate through a driver adapter, and the
 * schema engine binary is not installed (see prisma.config.ts). Several processes may run
 * it at once: an advisory lock makes them take turns, and each finds the others' work done.
 */
async function migratePostgres(url: string): Promise<void> {
  const folder = join(repoRoot(), "prisma", "postgres", "migrations");
  const migrations = readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(folder, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
  const client = await connectPostgres(url, (message, cause) => new MigrationError(message, { cause }), 10_000);
  const where = postgresLocation(url);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT "migration_name", "checksum" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`,
    );
    const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...applied.keys()].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new MigrationError(`${where} has migrations this code does not know (${unknown.join(", ")}): it was migrated by a newer version of the platform`);
    }
    for (const m of migrations) {
      const checksum = applied.get(m.name);
      if (checksum === m.checksum) continue;
      if (checksum !== undefined) {
        throw new MigrationError(`prisma/postgres/migrations/${m.name} was changed after it was applied to ${where}: migrations are never edited, add a new one`);
      }
      try {
        await client.query("BEGIN");
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "applied_steps_count") VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new MigrationError(`migration ${m.name} failed on ${where} and was rolled back: ${(e as Error).message}`, { cause: e });
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The migration that turns JSON text into JSON columns and closed sets into enums. */
const JSON_COLUMNS_MIGRATION = "20261212000000_json_enums_image_hash";

/** What that migration needs of the text columns it converts: JSON, or one of an enum's values. */
const CONVERTED: readonly { table: string; column: string; values?: readonly string[] }[] = [
  { table: "Galaxy", column: "metadata" },
  { table: "Galaxy", column: "priorFractions" },
  { table: "Classification", column: "answers" },
  // The old spellings, which the migration renames.
  { table: "Classification", column: "flag", values: ["after-retirement", "same-address"] },
  { table: "TrainingJob", column: "config" },
  { table: "TrainingJob", column: "progress" },
  { table: "TrainingJob", column: "status", values: ["queued", "running", "succeeded", "failed"] },
  { table: "ModelVersion", column: "config" },
  { table: "ModelVersion", column: "metrics" },
  { table: "Volunteer", column: "role", values: ["volunteer", "researcher"] },
];

/**
 * Before that migration runs on an existing database, names every row whose value it cannot
 * convert: SQLite's json() would stop the migration half-way with "malformed JSON" and no row,
 * and a value outside an enum would fail every later read of its row.
 */
function checkBeforeJsonColumns(file: string): void {
  if (!existsSync(file)) return;
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new MigrationError(`cannot migrate ${dirname(file)}: ${file} cannot be opened as a database: ${(e as Error).message}`, { cause: e });
  }
  try {
    const table = (name: string) => sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
    if (!table("_prisma_migrations") || !table("ModelVersion")) return;
    const applied = sqlite
      .prepare(`SELECT 1 FROM "_prisma_migrations" WHERE "migration_name" = ? AND "finished_at" IS NOT NULL`)
      .get(JSON_COLUMNS_MIGRATION);
    if (applied) return;
    // An older database may not have a column yet: the migrations before this one add it.
    const exists = (table: string, column: string) =>
      (sqlite.prepare(`SELECT "name" FROM pragma_table_info(?)`).all(table) as { name: string }[]).some((c) => c.name === column);
    const problems = CONVERTED.filter(({ table, column }) => exists(table, column)).flatMap(({ table, column, values }) => {
      const bad = values
        ? `"${column}" NOT IN (${values.map((v) => `'${v}'`).join(", ")})`
        : `NOT json_valid("${column}")`;
      const rows = sqlite
        .prepare(`SELECT "id", "${column}" AS "value" FROM "${table}" WHERE "${column}" IS NOT NULL AND ${bad} ORDER BY "id" LIMIT 10`)
        .all() as { id: number | string; value: unknown }[];
      const expected = values ? `one of ${values.join(", ")}` : "JSON";
      return rows.map((r) => `${table} ${r.id} ${column}: ${JSON.stringify(String(r.value).slice(0, 60))} is not ${expected}`);
    });
    if (problems.length > 0) {
      throw new MigrationError(
        `cannot apply ${JSON_COLUMNS_MIGRATION} to ${file}: fix or remove these rows first (at most 10 per column):\n  ${problems.join("\n  ")}`,
      );
    }
  } finally {
    sqlite.close();
  }
}
