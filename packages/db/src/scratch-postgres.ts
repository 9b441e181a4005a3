/**
 * Throwaway databases on a PostgreSQL server, for the tests (testing.ts) and `npm run
 * bench:load -- --database postgresql`: each run gets a database of its own, dropped after.
 * The server is the one in HIWL_SCRATCH_POSTGRES_URL unless given, a URL of a role allowed to
 * create databases: `node scripts/with-postgres.mjs` (which `npm test` and `npm run bench:load` use)
 * starts one and sets it.
 */
import { randomBytes } from "node:crypto";
import { connectPostgres } from "./client.ts";

/** HIWL_SCRATCH_POSTGRES_URL, or an error saying how to get a server. */
export function scratchServerUrl(): string {
  const url = process.env.HIWL_SCRATCH_POSTGRES_URL;
  if (!url) {
    throw new Error(
      "HIWL_SCRATCH_POSTGRES_URL is not set: run under `node scripts/with-postgres.mjs` (as `npm test` and the root `npm run bench:load` do), which starts a PostgreSQL server",
    );
  }
  return url;
}

async function onServer<T>(serverUrl: string, run: (client: Awaited<ReturnType<typeof connectPostgres>>) => Promise<T>): Promise<T> {
  const client = await connectPostgres(serverUrl, (message, cause) => new Error(message, { cause }));
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** `url` with another database name. */
function onDatabase(url: string, name: string): string {
  const other = new URL(url);
  other.pathname = `/${name}`;
  return other.toString();
}

/** A new, empty database on `serverUrl`'s server (default: the scratch server); returns its URL. */
export async function createScratchDatabase(serverUrl: string = scratchServerUrl()): Promise<string> {
  const name = `hiwl_scratch_${randomBytes(6).toString("hex")}`;
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  return onDatabase(serverUrl, name);
}

/** Drops a database createScratchDatabase made, closing whatever still uses it. */
export async function dropScratchDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!name.startsWith("hiwl_scratch_")) throw new Error(`refusing to drop ${name}: not a scratch database`);
  // From the server's maintenance database: a database cannot drop itself.
  await onServer(onDatabase(url, "postgres"), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
