/**
 * A production server of its own, on a fresh data directory, for the tests that attack the
 * site: their floods and rate limits must not spill over into the shared server of the other
 * specs. Started exactly as `npm start` starts it (server.mjs after `next build`); bench:load
 * starts its servers the same way (startServer).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, insertGalaxies, migrate, type Db } from "@hiwl/db";
import SuperJSON from "superjson";
import { GZ1_DIR } from "./env.ts";

const WEB_DIR = fileURLToPath(new URL("..", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Site extends Server {
  dataDir: string;
  /** A client on the site's database (one per test: disconnect it). */
  db: () => Db;
  /** Stops the server (SIGTERM) if it still runs and removes the data directory. */
  stop: () => Promise<void>;
}

/** A production server process (server.mjs) on a data directory. */
export interface Server {
  url: string;
  /** Everything the server printed so far. */
  log: () => string;
  /** Sends the server a signal and waits for it to exit; its exit code. */
  signal: (signal: NodeJS.Signals) => Promise<number | null>;
}

/** Starts server.mjs on `dataDir` (already migrated) and waits until it answers. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child: ChildProcess = spawn(process.execPath, ["server.mjs"], {
    cwd: WEB_DIR,
    env: { ...process.env, HIWL_DATA_DIR: dataDir, PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the site exited at start:\n${output}`);
    const ok = await fetch(`${url}/signin`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 300) throw new Error(`the site did not start in 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    log: () => output,
    async signal(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      return child.exitCode;
    },
  };
}

/** Migrates `dataDir` (and the PostgreSQL database `url`, if not empty) and lets `seed` fill it. */
export async function prepareDatabase(dataDir: string, url: string, seed: (db: Db, dataDir: string) => Promise<unknown>): Promise<void> {
  await migrate(dataDir, url);
  const db = createDb({ dataDir, url });
  try {
    await seed(db, dataDir);
  } finally {
    await db.$disconnect();
  }
}

/**
 * Migrates a fresh data directory (and the PostgreSQL database in env.DATABASE_URL, if given),
 * lets `seed` fill it, then serves it until stop().
 */
export async function startSite(seed: (db: Db, dataDir: string) => Promise<void>, env: Record<string, string> = {}): Promise<Site> {
  const dataDir = mkdtempSync(join(tmpdir(), "hiwl-site-"));
  const url = env.DATABASE_URL ?? "";
  await prepareDatabase(dataDir, url, seed);
  const server = await startServer(dataDir, env);
  return {
    ...server,
    dataDir,
    db: () => createDb({ dataDir, url }),
    async stop() {
      await server.signal("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads the site's database with a client of its own, disconnected afterwards. */
export async function inDb<T>(site: Site, read: (db: Db) => Promise<T>): Promise<T> {
  const db = site.db();
  try {
    return await read(db);
  } finally {
    await db.$disconnect();
  }
}

export interface Reply {
  status: number;
  headers: Headers;
  /** The parsed JSON body (superjson envelopes unwrapped for single calls). */
  json: any;
  text: string;
}

/**
 * A client as an outsider writes one: raw HTTP in tRPC's wire format, with exactly the
 * headers and cookies the test gives it (none unless asked), and the cookies the site sets
 * kept for the next call.
 */
export class RawClient {
  cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
  }

  async send(path: string, init: RequestInit = {}): Promise<Reply> {
    const response = await fetch(`${this.base}${path}`, {
      ...init,
      redirect: "manual",
      headers: { ...this.cookieHeader(), ...this.headers, ...(init.headers as Record<string, string>) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)];
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: a page, a file.
    }
    return { status: response.status, headers: response.headers, json: unwrap(json), text };
  }

  query(procedure: string, input?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(SuperJSON.serialize(input)))}`;
    return this.send(`/api/trpc/${procedure}${qs}`, { headers });
  }

  mutate(procedure: string, input?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send(`/api/trpc/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(input === undefined ? {} : SuperJSON.serialize(input)),
    });
  }
}

/** { result: { data: <superjson> } } -> the value; errors stay as { error: {...} } with json unwrapped. */
function unwrap(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const b = body as { result?: { data?: unknown }; error?: { json?: unknown } };
  if (b.result && "data" in b.result) return { result: SuperJSON.deserialize(b.result.data as never) };
  if (typeof b.error === "object" && b.error !== null && "json" in b.error) return { error: b.error.json };
  return body;
}

/** A walk for a submission: what a volunteer's browser posts. */
export function walkInput(galaxyId: number, answers: readonly string[], idempotencyKey: string) {
  const finishedAt = new Date();
  return { galaxyId, answers: [...answers], startedAt: new Date(finishedAt.getTime() - 10_000), finishedAt, idempotencyKey };
}

/** 32 random hex digits, as the classify page makes its idempotency keys. */
export const randomKey = () => crypto.randomUUID().replaceAll("-", "");

/** The first n real GZ1 galaxies as an imported catalogue; returns their ids in order. */
export async function addGz1Galaxies(db: Db, n: number, label = "smooth"): Promise<number[]> {
  const ids = readFileSync(join(GZ1_DIR, "labels.csv"), "utf8").trim().split("\n").slice(1, n + 1).map((l) => l.split(",")[0]!);
  await insertGalaxies(
    db,
    ids.map((objid) => ({ externalId: objid, source: "gz1", imagePath: join(GZ1_DIR, "images", `${objid}.jpg`), catalogLabel: label })),
  );
  const rows = await db.galaxy.findMany({ where: { source: "gz1" }, orderBy: { id: "asc" }, select: { id: true } });
  return rows.map((r) => r.id);
}
