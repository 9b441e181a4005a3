/**
 * `hiwl db backup FILE`: a consistent copy of the live database while the site and the worker
 * keep writing.
 *
 * PostgreSQL: `pg_dump --format=custom` (restore with pg_restore: docs/operations.md) inside a
 * snapshot this function exports after counting the galaxies and classifications in it, so
 * the counts it reports are exactly what the file holds.
 *
 * SQLite: `VACUUM INTO` writes the copy inside one read transaction, so it is
 * one moment's state, and in WAL mode it blocks no writer. (The page-by-page backup API
 * starts over whenever another connection writes, so under a steady stream of votes it never
 * finished: seen in the test.) Written to FILE.partial, checked, then renamed: a FILE that
 * exists is whole.
 */
import { execFile } from "node:child_process";
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { BUSY_TIMEOUT_MS, connectPostgres, databaseProvider, postgresLocation } from "./client.ts";
import { databasePath, dataDir as defaultDataDir } from "./paths.ts";

export class BackupError extends Error {
  override readonly name = "BackupError";
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** How the copy was made sure of: "integrity checked" (SQLite), "one snapshot" (pg_dump). */
  checked: string;
  galaxies: number;
  classifications: number;
}

/** Copies the database (DATABASE_URL's PostgreSQL, or SQLite under `dataDir`) to `file`. */
export async function backupDatabase(
  file: string,
  options: { dataDir?: string; url?: string; overwrite?: boolean } = {},
): Promise<BackupResult> {
  const url = options.url ?? process.env.DATABASE_URL;
  const postgres = databaseProvider(url) === "postgresql";
  const source = postgres ? postgresLocation(url!) : databasePath(options.dataDir ?? defaultDataDir());
  const target = resolve(file);
  if (!postgres && !existsSync(source)) throw new BackupError(`no database at ${source} to back up (is HIWL_DATA_DIR right?)`);
  if (target === resolve(source)) throw new BackupError(`${target} is the live database itself: name another file`);
  if (!existsSync(dirname(target))) throw new BackupError(`no folder ${dirname(target)} for the copy: create it first`);
  if (existsSync(target) && !options.overwrite) throw new BackupError(`${target} exists: name a new file, or pass --overwrite`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const counts = postgres ? await dumpPostgres(url!, partial) : copySqlite(source, partial);
  renameSync(partial, target);
  return { file: target, bytes: statSync(target).size, ...counts };
}

type Counts = Pick<BackupResult, "checked" | "galaxies" | "classifications">;

async function dumpPostgres(url: string, partial: string): Promise<Counts> {
  const client = await connectPostgres(url, (message, cause) => new BackupError(message, { cause }));
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows } = await client.query<{ snapshot: string; galaxies: number; classifications: number }>(
      `SELECT pg_export_snapshot() AS "snapshot", (SELECT COUNT(*)::int FROM "Galaxy") AS "galaxies",
        (SELECT COUNT(*)::int FROM "Classification") AS "classifications"`,
    );
    const { snapshot, galaxies, classifications } = rows[0]!;
    try {
      await promisify(execFile)("pg_dump", ["--format=custom", `--snapshot=${snapshot}`, `--file=${partial}`, `--dbname=${url}`], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (e) {
      rmSync(partial, { force: true });
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      const why = err.code === "ENOENT" ? "pg_dump is not installed (Debian: postgresql-client, the server's major version or newer)" : err.stderr?.trim() || err.message;
      throw new BackupError(`pg_dump of ${postgresLocation(url)} failed: ${why}; the database is untouched`, { cause: e });
    }
    return { checked: "one snapshot", galaxies, classifications };
  } finally {
    await client.query("COMMIT").catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

function copySqlite(source: string, partial: string): Counts {
  const live = new Database(source, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    live.prepare("VACUUM INTO ?").run(partial);
  } finally {
    live.close();
  }
  const copy = new Database(partial, { readonly: true, fileMustExist: true });
  let counts: Counts;
  try {
    const check = copy.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new BackupError(`the copy failed SQLite's integrity check (${String(check)}); ${source} is untouched`);
    counts = {
      checked: "integrity checked",
      galaxies: (copy.prepare('SELECT COUNT(*) AS n FROM "Galaxy"').get() as { n: number }).n,
      classifications: (copy.prepare('SELECT COUNT(*) AS n FROM "Classification"').get() as { n: number }).n,
    };
  } catch (error) {
    copy.close();
    rmSync(partial, { force: true });
    throw error;
  }
  copy.close();
  return counts;
}
