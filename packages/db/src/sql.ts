/**
 * Raw SQL straight to a client's driver adapter, for the statements every vote runs. Prisma's
 * $queryRaw costs about 60 µs a statement on top of the driver's few (its query compiler and
 * interpreter run for raw SQL too) and an interactive transaction about 300 µs more: with the
 * hot paths already on raw SQL, Prisma was still a quarter of the web server's CPU under
 * `npm run bench:load`. The statements go to the same connection (serialised with Prisma's own
 * on SQLite: client.ts) or pool, and rows come back typed as $queryRaw types them.
 */
import { ColumnTypeEnum, type ArgType, type ColumnType, type SqlQuery, type SqlQueryable } from "@prisma/driver-adapter-utils";
import type { Db, Provider, SqlDriverAdapter } from "./client.ts";
import type { Prisma } from "./generated/prisma/client.ts";

export interface Sql {
  readonly provider: Provider;
  /** The rows of a query written with Prisma.sql, typed as $queryRaw types them. */
  query<T>(statement: Prisma.Sql): Promise<T[]>;
  /** The rows a statement changed. */
  execute(statement: Prisma.Sql): Promise<number>;
}

export interface SqlClient extends Sql {
  /**
   * Runs `work` in a transaction: committed when it resolves, rolled back when it throws. On
   * SQLite it takes the write lock first (BEGIN IMMEDIATE, client.ts).
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

/** Anything that runs raw SQL: a client, one of Prisma's transactions, or an Sql. */
export type Queryable = Db | Prisma.TransactionClient | Sql;

const isSql = (on: Queryable): on is Sql => typeof (on as Partial<Sql>).query === "function";

/** A raw query's rows on any Queryable, typed as $queryRaw types them. */
export function queryRows<T>(on: Queryable, statement: Prisma.Sql): Promise<T[]> {
  return isSql(on) ? on.query<T>(statement) : on.$queryRaw<T[]>(statement);
}

/**
 * How a client reaches its driver adapter (createDb registers it), kept on the client itself:
 * Next's bundles may hold this module twice, and a module-level map would then miss clients.
 */
const ADAPTER = Symbol.for("hiwl.sql.adapter");

type WithAdapter = { [ADAPTER]?: () => Promise<SqlDriverAdapter> };

export function registerAdapter(db: Db, connect: () => Promise<SqlDriverAdapter>): void {
  (db as WithAdapter)[ADAPTER] = connect;
}

// Dates and the rest go to the adapters as they are; they convert by value.
const UNTYPED: ArgType = { scalarType: "unknown", arity: "scalar" };

function toQuery(statement: Prisma.Sql, provider: Provider): SqlQuery {
  return {
    sql: provider === "postgresql" ? statement.text : statement.sql,
    args: statement.values,
    argTypes: statement.values.map(() => UNTYPED),
  };
}

/** The column's value as $queryRaw gives it. */
function toValue(value: unknown, type: ColumnType): unknown {
  if (value === null) return null;
  switch (type) {
    case ColumnTypeEnum.Int32:
    case ColumnTypeEnum.Float:
    case ColumnTypeEnum.Double:
      // PostgreSQL's adapter hands some numbers on as text.
      return typeof value === "string" ? Number(value) : value;
    case ColumnTypeEnum.Int64:
      return BigInt(value as string | number | bigint);
    case ColumnTypeEnum.Boolean:
      return typeof value === "boolean" ? value : Number(value) === 1;
    case ColumnTypeEnum.DateTime:
    case ColumnTypeEnum.Date:
      return new Date(typeof value === "string" && !/(Z|[+-]\d\d:?\d\d)$/.test(value) ? `${value.replace(" ", "T")}Z` : (value as string));
    case ColumnTypeEnum.Json:
      return typeof value === "string" ? JSON.parse(value) : value;
    default:
      return value;
  }
}

async function run<T>(on: SqlQueryable, statement: Prisma.Sql, provider: Provider): Promise<T[]> {
  const { columnNames, columnTypes, rows } = await on.queryRaw(toQuery(statement, provider));
  return rows.map((row) => {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) object[columnNames[i]!] = toValue(row[i], columnTypes[i]!);
    return object as T;
  });
}

function over(on: SqlQueryable, provider: Provider): Sql {
  return {
    provider,
    query: (statement) => run(on, statement, provider),
    execute: (statement) => on.executeRaw(toQuery(statement, provider)),
  };
}

const BARE = (sql: string): SqlQuery => ({ sql, args: [], argTypes: [] });

/** Raw SQL on `db`'s own connection (one of createDb's clients). */
export async function sqlOf(db: Db): Promise<SqlClient> {
  const connect = (db as WithAdapter)[ADAPTER];
  if (!connect) throw new Error("sqlOf needs a client made by createDb");
  const adapter = await connect();
  const provider: Provider = adapter.provider === "postgres" ? "postgresql" : "sqlite";
  return {
    ...over(adapter, provider),
    async transaction(work) {
      // The adapter sends BEGIN; COMMIT and ROLLBACK are the caller's, as for Prisma's engine.
      const tx = await adapter.startTransaction();
      let result;
      try {
        result = await work(over(tx, provider));
        await tx.executeRaw(BARE("COMMIT"));
      } catch (e) {
        await tx.executeRaw(BARE("ROLLBACK")).catch(() => {}); // the connection may be gone
        await tx.rollback();
        throw e;
      }
      await tx.commit();
      return result;
    },
  };
}
