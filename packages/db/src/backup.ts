/**
 * `hiwl db backup FILE`: a consistent copy of the live database while the site and the worker
 * keep writing. SQLite's `VACUUM INTO` writes the copy inside one read transaction, so it is
 * one moment's state, and in WAL mode it blocks no writer. (The page-by-page backup API
 * starts over whenever another connection writes, so under a steady stream of votes it never
 * finished: seen in the test.) Written to FILE.partial, checked, then renamed: a FILE that
 * exists is whole.
 */
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { BUSY_TIMEOUT_MS } from "./client.ts";
import { databasePath, dataDir as defaultDataDir } from "./paths.ts";

export class BackupError extends Error {
  override readonly name = "BackupError";
}

export interface BackupResult {
  file: string;
  bytes: number;
  galaxies: number;
  classifications: number;
}

export function backupDatabase(file: string, options: { dataDir?: string; overwrite?: boolean } = {}): BackupResult {
  const source = databasePath(options.dataDir ?? defaultDataDir());
  const target = resolve(file);
  if (!existsSync(source)) throw new BackupError(`no database at ${source} to back up (is HIWL_DATA_DIR right?)`);
  if (target === resolve(source)) throw new BackupError(`${target} is the live database itself: name another file`);
  if (!existsSync(dirname(target))) throw new BackupError(`no folder ${dirname(target)} for the copy: create it first`);
  if (existsSync(target) && !options.overwrite) throw new BackupError(`${target} exists: name a new file, or pass --overwrite`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const live = new Database(source, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    live.prepare("VACUUM INTO ?").run(partial);
  } finally {
    live.close();
  }
  const copy = new Database(partial, { readonly: true, fileMustExist: true });
  let counts: { galaxies: number; classifications: number };
  try {
    const check = copy.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new BackupError(`the copy failed SQLite's integrity check (${String(check)}); ${source} is untouched`);
    counts = {
      galaxies: (copy.prepare('SELECT COUNT(*) AS n FROM "Galaxy"').get() as { n: number }).n,
      classifications: (copy.prepare('SELECT COUNT(*) AS n FROM "Classification"').get() as { n: number }).n,
    };
  } catch (error) {
    copy.close();
    rmSync(partial, { force: true });
    throw error;
  }
  copy.close();
  renameSync(partial, target);
  return { file: target, bytes: statSync(target).size, ...counts };
}
