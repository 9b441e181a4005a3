import { isDriverAdapterError } from "@prisma/driver-adapter-utils";
import { Prisma } from "./generated/prisma/client.ts";

/** Prisma's codes for the constraint failures the queries turn into typed errors. */
const CODES = { unique: "P2002", foreignKey: "P2003", recordNotFound: "P2025" } as const;

/**
 * The driver adapters' kinds for the same failures: a raw query through Prisma reports them
 * under P2010, and sqlOf (sql.ts) hands on the adapter's own error.
 */
const ADAPTER_KINDS: Partial<Record<keyof typeof CODES, string>> = {
  unique: "UniqueConstraintViolation",
  foreignKey: "ForeignKeyConstraintViolation",
};

export function isPrismaError(e: unknown, kind: keyof typeof CODES): boolean {
  if (isDriverAdapterError(e)) return e.cause.kind === ADAPTER_KINDS[kind];
  if (!(e instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (e.code === CODES[kind]) return true;
  const cause = (e.meta as { driverAdapterError?: { cause?: { kind?: unknown } } } | undefined)?.driverAdapterError?.cause;
  return e.code === "P2010" && cause?.kind !== undefined && cause.kind === ADAPTER_KINDS[kind];
}

/** Prisma's codes for a database it cannot reach or that dropped the connection, and a full pool. */
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
/** The driver adapters' kinds for the same. */
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** PostgreSQL's connection exceptions (08...) and its shutting down or starting up (57P01-57P03). */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3])/;
/**
 * What pg itself throws when a connection ends, when a transaction's connection broke under
 * it, or when none can be had from the pool in time.
 */
const UNAVAILABLE_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

/**
 * Whether an error means the database is out of reach for now (down, restarting, every
 * connection taken), not that the request is wrong: the site answers 503 with Retry-After
 * instead of 500, and the same request succeeds once the database is back; nothing to restart.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let error = e, depth = 0; error && typeof error === "object" && depth < 5; depth++) {
    const { code, kind, originalCode, message, meta } = error as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: { cause?: unknown } };
    };
    if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    if (typeof kind === "string" && UNAVAILABLE_KINDS.has(kind)) return true;
    if (typeof originalCode === "string" && UNAVAILABLE_SQLSTATE.test(originalCode)) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.test(message)) return true;
    error = meta?.driverAdapterError?.cause ?? (error as { cause?: unknown }).cause;
  }
  return false;
}
