import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createDb } from "./client.ts";
import { backfillConsensus } from "./integrity.ts";
import { dataDir as defaultDataDir } from "./paths.ts";

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
 * Applies prisma/migrations to the database under `dataDir` with `prisma migrate deploy`.
 * The CLI (JS engine, see prisma.config.ts) is the one migration runner: it records applied
 * migrations in _prisma_migrations, so running it again is a no-op and the CLI and this
 * function never disagree.
 *
 * Then fills in what a migration could not compute in SQL (backfillConsensus).
 *
 * Prisma's SQLite migrator takes the database with `PRAGMA locking_mode=EXCLUSIVE`: run this
 * before the web server or a trainer opens the database (or after they disconnect); while
 * another connection is open it fails after the busy timeout.
 */
export async function migrate(dataDir: string = defaultDataDir()): Promise<void> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const root = repoRoot();
  const cli = createRequire(join(root, "package.json")).resolve("prisma/build/index.js");
  try {
    await promisify(execFile)(process.execPath, [cli, "migrate", "deploy"], {
      cwd: root,
      env: {
        ...process.env,
        HIWL_DATA_DIR: dir,
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
  const db = createDb({ dataDir: dir });
  try {
    await backfillConsensus(db);
  } finally {
    await db.$disconnect();
  }
}
