import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type Database from "better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaClient as PostgresClient } from "./generated/postgres/client.ts";
import { Prisma, PrismaClient } from "./generated/prisma/client.ts";
import { databasePath, dataDir as defaultDataDir, databaseUrl } from "./paths.ts";
import { registerAdapter } from "./sql.ts";

/**
 * A client on either database. Both clients come from one schema (scripts/prisma-postgres.mjs
 * generates the PostgreSQL one), so the SQLite client's type describes both; the queries of
 * this package use only what both providers have.
 */
export type Db = PrismaClient;

/** Which database a client talks to, for the few statements whose SQL differs. */
export type Provider = "sqlite" | "postgresql";

export function providerOf(db: Db | Prisma.TransactionClient | { readonly provider: Provider }): Provider {
  if ("provider" in db) return db.provider; // an Sql (sql.ts)
  // Prisma keeps the schema's provider on every client and transaction client it makes.
  const provider = (db as unknown as { _activeProvider?: string })._activeProvider;
  if (provider !== "sqlite" && provider !== "postgresql") throw new Error(`unexpected Prisma provider ${provider}`);
  return provider;
}

/**
 * A raw query's parameter whose type PostgreSQL must be told (JSONB, an enum); SQLite takes
 * the value as it is (a cast there would apply its own affinity rules to the text).
 */
export function typedParam(db: Parameters<typeof providerOf>[0], value: unknown, postgresType: string): Prisma.Sql {
  return providerOf(db) === "postgresql" ? Prisma.sql`CAST(${value} AS ${Prisma.raw(postgresType)})` : Prisma.sql`${value}`;
}

/** What DATABASE_URL selects: PostgreSQL for a postgres:// or postgresql:// URL, else SQLite. */
export function databaseProvider(url: string | undefined = process.env.DATABASE_URL): Provider {
  if (url === undefined || url === "") return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  throw new Error(
    `DATABASE_URL must be a postgresql:// URL (got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//…@"))}); leave it unset for the SQLite database under HIWL_DATA_DIR`,
  );
}

export type { SqlDriverAdapter };

/** How long a statement waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * One PrismaClient holds one better-sqlite3 connection. The adapter serialises transactions
 * but not the queries outside them, and those run on the same connection: a write made
 * while another request's transaction is open joins that transaction and vanishes if it
 * rolls back (seen with Prisma 6.19.3). Here every query outside a transaction waits until
 * the open transaction ends, and the next transaction waits for those queries.
 */
function serialise(adapter: SqlDriverAdapter): SqlDriverAdapter {
  let tail = Promise.resolve();
  const lock = async (): Promise<() => void> => {
    const previous = tail;
    let release!: () => void;
    tail = new Promise((done) => (release = done));
    await previous;
    return release;
  };
  const exclusive = async <T>(run: () => Promise<T>): Promise<T> => {
    const release = await lock();
    try {
      return await run();
    } finally {
      release();
    }
  };
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => exclusive(() => adapter.queryRaw(query)),
    executeRaw: (query) => exclusive(() => adapter.executeRaw(query)),
    executeScript: (script) => exclusive(() => adapter.executeScript(script)),
    dispose: () => adapter.dispose(),
    async startTransaction(isolationLevel) {
      const release = await lock();
      try {
        const tx = await adapter.startTransaction(isolationLevel);
        const commit = tx.commit.bind(tx);
        const rollback = tx.rollback.bind(tx);
        tx.commit = () => commit().finally(release);
        tx.rollback = () => rollback().finally(release);
        return tx;
      } catch (e) {
        release();
        throw e;
      }
    },
  };
}

/**
 * The web server and the trainer are separate processes on one database file. WAL lets
 * readers go on while one of them writes; in WAL, synchronous=NORMAL cannot corrupt the
 * database and only risks the last commits on power loss, which is worth one fsync fewer per
 * submitted classification.
 */
class SharedSQLite3 extends PrismaBetterSQLite3 {
  override async connect() {
    const adapter = await super.connect();
    await adapter.executeScript("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    tuneStatements(adapter);
    return serialise(adapter);
  }
}

/**
 * Makes the adapter's transactions take the write lock when they begin. Its plain BEGIN is
 * deferred: a transaction that reads, then writes after another process committed, fails at
 * once with SQLITE_BUSY (a stale snapshot: the busy timeout does not apply), and Prisma runs
 * upserts and deleteMany that way. Seen under `npm run bench:load` with two web servers: about
 * one "next galaxy" in 300 answered 500. BEGIN IMMEDIATE waits for the lock (busy timeout)
 * instead, so the statements after it always see the latest commit.
 */
function beginImmediate(prepare: Prepare): Prepare {
  return (sql) => prepare(sql === "BEGIN" ? "BEGIN IMMEDIATE" : sql);
}

/** Statements kept prepared: more than the distinct SQL texts the site and the trainer send. */
const STATEMENT_CACHE = 500;

type Prepare = (sql: string) => Database.Statement;

/**
 * Keeps statements prepared across queries. The adapter prepares every statement anew and
 * binds its parameters to it for good (`prepare(sql).bind(args)`); a CPU profile of the web
 * server under `npm run bench:load` put 12% of its time there. Here each SQL text is prepared
 * once, and what the adapter binds is handed to the statement on each run instead; the adapter
 * uses only the calls below. Statements run one at a time (serialise), so sharing one is safe.
 * The adapter also asks every query for its result's columns (2% of the server's time): kept
 * with the statement. A schema changed by another process (a migration while serving) empties
 * the cache and loads the new schema: a statement reports the columns of the schema its
 * connection last loaded until it runs, and the adapter asks before it runs, so `SELECT *`
 * lost the new column's name (as it did without this cache, the adapter's own behaviour).
 */
function cacheStatements(prepare: Prepare, schemaVersion: () => unknown): Prepare {
  const cache = new Map<string, { statement: Database.Statement; columns?: Database.ColumnDefinition[] }>();
  let version = schemaVersion();
  return (sql) => {
    const current = schemaVersion();
    if (current !== version) {
      version = current;
      cache.clear();
      // Running a statement makes the connection load the new schema: prepared before that,
      // statements would still report the old columns.
      prepare(`SELECT COUNT(*) FROM "sqlite_master"`).get();
    }
    const entry = cache.get(sql) ?? { statement: prepare(sql) };
    cache.delete(sql);
    cache.set(sql, entry); // most recently used last
    if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
    const { statement } = entry;
    const bound = (args: unknown[]) => ({
      reader: statement.reader,
      run: () => statement.run(args),
      columns: () => (entry.columns ??= statement.columns()),
      raw: () => ({ all: () => statement.raw(true).all(args) }),
    });
    // `prepare(sql).run()` (BEGIN, COMMIT) and `prepare(sql).bind(args)...`: all the adapter does.
    return { ...bound([]), bind: bound } as unknown as Database.Statement;
  };
}

/** The adapter's better-sqlite3 connection, whose statements this module tunes. */
function tuneStatements(adapter: SqlDriverAdapter): void {
  const client = (adapter as unknown as { client?: Database.Database }).client;
  if (!client) throw new Error("the better-sqlite3 adapter no longer exposes its connection: check tuneStatements in packages/db/src/client.ts");
  const prepare = client.prepare.bind(client);
  const schemaVersion = prepare("PRAGMA schema_version").pluck();
  client.prepare = cacheStatements(beginImmediate(prepare), () => schemaVersion.get()) as Database.Database["prepare"];
}

/**
 * A client on the database under `dataDir` (default HIWL_DATA_DIR). Open one per process
 * (the apps use db()): better-sqlite3 waits for another connection's lock synchronously,
 * so a second client in the same process blocks the event loop that the first one needs to
 * commit, and both stall until the busy timeout.
 */
export function createDb(options: { dataDir?: string; url?: string } = {}): Db {
  const url = options.url ?? process.env.DATABASE_URL;
  if (databaseProvider(url) === "postgresql") return createPostgresDb(url!);
  // The data directory is chosen at run time: without the ignore comment Next's build would
  // trace the whole repository into the server bundle.
  const dir = options.dataDir === undefined ? defaultDataDir() : resolve(/*turbopackIgnore: true*/ options.dataDir);
  mkdirSync(dir, { recursive: true });
  return withSharedAdapter(new SharedSQLite3({ url: databaseUrl(dir), timeout: BUSY_TIMEOUT_MS }), (adapter) => new PrismaClient({ adapter }));
}

type AdapterFactory = { connect(): Promise<SqlDriverAdapter> };

/**
 * The client `create` makes on `factory`, which connects once until the client disconnects:
 * Prisma and sqlOf (sql.ts) share the adapter, so raw statements run on the same connection
 * (and, on SQLite, in turn with Prisma's: serialise).
 */
function withSharedAdapter<F extends AdapterFactory>(factory: F, create: (factory: F) => Db): Db {
  const open = factory.connect.bind(factory);
  let connected: Promise<SqlDriverAdapter> | undefined;
  factory.connect = () =>
    (connected ??= open().then(
      (adapter) => {
        const dispose = adapter.dispose.bind(adapter);
        adapter.dispose = () => {
          connected = undefined;
          return dispose();
        };
        return adapter;
      },
      (e: unknown) => {
        connected = undefined;
        throw e;
      },
    ));
  const db = create(factory);
  registerAdapter(db, () => factory.connect());
  return db;
}

/** Connections one process opens at most: a web server's concurrent queries, the trainer's writes. */
const POSTGRES_POOL_SIZE = 10;

/**
 * PostgreSQL needs none of the SQLite wrapping above: each transaction has a connection of its
 * own from the pool, and row locks and unique keys make concurrent writers safe. A statement
 * that cannot get a connection within the busy timeout fails (the site answers 503) rather
 * than queueing without end while the server is down.
 */
function createPostgresDb(url: string): Db {
  const factory = new PrismaPg({
    connectionString: url,
    max: POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: BUSY_TIMEOUT_MS,
    // Bounded, so a request never waits on a lost server for longer than a proxy would.
    statement_timeout: 30_000,
  });
  return withSharedAdapter(factory, (adapter) => new PostgresClient({ adapter }) as unknown as Db);
}

// Next.js re-evaluates modules on every hot reload; keeping the client on globalThis stops
// each reload from opening another connection.
const shared = globalThis as typeof globalThis & { __hiwlDb?: Db };

/** The process-wide client for the apps, opened on first use under HIWL_DATA_DIR. */
export function db(): Db {
  shared.__hiwlDb ??= createDb();
  return shared.__hiwlDb;
}

/** The database DATABASE_URL selects, for messages: PostgreSQL's host, port and name, or the SQLite file. */
export function databaseDescription(url: string | undefined = process.env.DATABASE_URL): string {
  return databaseProvider(url) === "postgresql" ? `PostgreSQL at ${postgresLocation(url!)}` : databasePath();
}

/**
 * A plain pg connection, for what Prisma does not do (migrations, backups, scratch databases);
 * a server that cannot be reached is `fail`'s error, naming it without the password.
 */
export async function connectPostgres(
  url: string,
  fail: (message: string, cause: unknown) => Error,
  timeoutMs: number = BUSY_TIMEOUT_MS,
): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
  } catch (e) {
    throw fail(`cannot reach PostgreSQL at ${postgresLocation(url)}: ${(e as Error).message}`, e);
  }
  return client;
}

/** Host, port and database of a PostgreSQL URL, without its password, for messages. */
export function postgresLocation(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "the PostgreSQL server in DATABASE_URL (which is not a valid URL)";
  }
}
