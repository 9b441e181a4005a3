import { Prisma } from "./generated/prisma/client.ts";

/** Prisma's codes for the constraint failures the queries turn into typed errors. */
const CODES = { unique: "P2002", foreignKey: "P2003", recordNotFound: "P2025" } as const;

export function isPrismaError(e: unknown, kind: keyof typeof CODES): boolean {
  return e instanceof Prisma.PrismaClientKnownRequestError && e.code === CODES[kind];
}
