/**
 * Throwaway databases on a PostgreSQL server, for the tests (testing.ts) and `npm run
 * bench:load -- --database postgresql`: each run gets a database of its own, dropped after.
 * `adminUrl` is a URL of a role allowed to create databases.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

async function admin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database beside `adminUrl`'s; returns its URL. */
export async function createScratchDatabase(adminUrl: string): Promise<string> {
  const name = `hiwl_scratch_${randomBytes(6).toString("hex")}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database createScratchDatabase made, closing whatever still uses it. */
export async function dropScratchDatabase(adminUrl: string, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!name.startsWith("hiwl_scratch_")) throw new Error(`refusing to drop ${name}: not a scratch database`);
  await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
