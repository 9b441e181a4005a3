import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { z } from "zod";
import type { Db } from "./client.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { Prisma, type Volunteer } from "./generated/prisma/client.ts";
import { limits } from "./limits.ts";
import { isPrismaError } from "./prisma-errors.ts";
import { sqlOf } from "./sql.ts";

const volunteerId = z.string().min(1).max(128);
const displayName = z.string().trim().min(1).max(40).nullable();
const username = z.string().regex(/^[a-zA-Z0-9_.-]{3,32}$/, "3-32 letters, digits, '.', '_' or '-'");
const password = z.string().min(10, "at least 10 characters").max(256);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(`invalid ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** The volunteer with this id, or null (on the driver, sql.ts: every request of a volunteer asks). */
export async function getVolunteer(db: Db, id: string): Promise<Volunteer | null> {
  const [row] = await (await sqlOf(db)).query<Volunteer>(Prisma.sql`SELECT * FROM "Volunteer" WHERE "id" = ${id}`);
  return row ?? null;
}

/** The volunteer behind an anonymous cookie id, created on first sight. */
export async function ensureVolunteer(db: Db, id: string, options: { simulated?: boolean } = {}): Promise<Volunteer> {
  const vid = parse(volunteerId, id, "volunteer id");
  return db.volunteer.upsert({
    where: { id: vid },
    create: { id: vid, simulated: options.simulated ?? false },
    update: {},
  });
}

/** Sets (or with null, clears) the name shown on the leaderboard. */
export async function setDisplayName(db: Db, id: string, name: string | null): Promise<Volunteer> {
  return db.volunteer.update({ where: { id }, data: { displayName: parse(displayName, name, "display name") } });
}

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

// OWASP's current scrypt parameters (Password Storage Cheat Sheet): N=2^17, r=8, p=1, 128 MiB
// and about 0.7 s of one core here. The parameters are stored with each hash, so hashes made
// with earlier ones (N=2^15 before) still verify; verifyResearcher re-hashes them with these.
const SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;

// scrypt runs on libuv's thread pool (4 threads), which also reads the files the site streams
// (images, models). Letting one derivation run at a time, the others waiting in arrival order,
// keeps a flood of sign-ins to one of those threads and to 128 MiB.
let deriving = false;
const waiting: (() => void)[] = [];

async function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  if (deriving) await new Promise<void>((resolve) => waiting.push(resolve));
  deriving = true;
  try {
    return await work();
  } finally {
    // Handed straight to the next in line (deriving stays true), so a newcomer cannot overtake it.
    const next = waiting.shift();
    if (next) next();
    else deriving = false;
  }
}

/**
 * How many password derivations (sign-ins, new passwords) wait behind the running one; the
 * site refuses sign-ins while the queue is long rather than letting their wait grow.
 */
export function passwordDerivationsWaiting(): number {
  return waiting.length;
}

function deriveKey(secret: string, salt: Buffer, params: ScryptParams, length: number) {
  // OpenSSL allocates 128·r·(N + 2) bytes for V and 128·r·p for B, and refuses to go past maxmem.
  const options: ScryptOptions = { ...params, maxmem: 128 * params.r * (params.N + params.p + 2) };
  return oneAtATime(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(secret, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );
}

/** "scrypt$N$r$p$salt$key" (base64url): everything needed to verify, nothing secret. */
async function hashPassword(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await deriveKey(secret, salt, SCRYPT, KEY_LENGTH);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split("$");
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (scheme !== "scrypt" || !salt || !key || rest.length > 0) return null;
  if (!Object.values(params).every((x) => Number.isSafeInteger(x) && x > 0)) return null;
  return { params, salt: Buffer.from(salt, "base64url"), key: Buffer.from(key, "base64url") };
}

async function passwordMatches(secret: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const actual = await deriveKey(secret, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(actual, parsed.key);
}

function hasCurrentParameters(stored: string): boolean {
  const parsed = parseHash(stored);
  return (
    parsed !== null &&
    parsed.params.N === SCRYPT.N &&
    parsed.params.r === SCRYPT.r &&
    parsed.params.p === SCRYPT.p &&
    parsed.key.length === KEY_LENGTH
  );
}

// Verified against when the username is unknown, so that a wrong username costs as much
// time as a wrong password and response times do not reveal which accounts exist.
let dummyHash: Promise<string> | undefined;

export async function createResearcher(
  db: Db,
  name: string,
  secret: string,
  options: { displayName?: string } = {},
): Promise<Volunteer> {
  const data = {
    id: randomUUID(),
    role: "researcher" as const,
    username: parse(username, name, "username"),
    passwordHash: await hashPassword(parse(password, secret, "password")),
    displayName: options.displayName === undefined ? null : parse(displayName, options.displayName, "display name"),
  };
  try {
    return await db.volunteer.create({ data });
  } catch (e) {
    if (isPrismaError(e, "unique")) throw new ConflictError(`username "${data.username}" is taken`, { cause: e });
    throw e;
  }
}

/**
 * The researcher with these credentials, or null (also for a disabled researcher, after the
 * same work). A password stored with other scrypt parameters than today's is re-hashed with
 * today's on the way, so that old hashes disappear as researchers sign in.
 */
export async function verifyResearcher(db: Db, name: string, secret: string): Promise<Volunteer | null> {
  const researcher = await db.volunteer.findUnique({ where: { username: name } });
  const stored = researcher?.role === "researcher" ? researcher.passwordHash : null;
  const ok = await passwordMatches(secret, stored ?? (await (dummyHash ??= hashPassword(randomUUID()))));
  if (!ok || !stored || !researcher || researcher.disabledAt) return null;
  if (hasCurrentParameters(stored)) return researcher;
  const upgraded = await hashPassword(secret);
  // Only over the hash just verified: a password changed meanwhile (hiwl researcher passwd) stays.
  const { count } = await db.volunteer.updateMany({ where: { id: researcher.id, passwordHash: stored }, data: { passwordHash: upgraded } });
  return count === 1 ? { ...researcher, passwordHash: upgraded } : researcher;
}

const DEFAULT_SESSION_MS = 30 * 24 * 3600 * 1000;
/** lastSeenAt is written at most this often per session: idle timeouts are counted in minutes. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");
const idleCutoff = (now: Date, idleMinutes = limits().sessionIdleMinutes) => new Date(now.getTime() - idleMinutes * 60_000);

/**
 * A new sign-in session. Only the token's SHA-256 is stored, so a leaked database does not
 * hand out live sessions; the token itself goes into the cookie. Expired and idle sessions
 * are purged on the way.
 */
export async function createSession(
  db: Db,
  volunteerId: string,
  options: { ttlMs?: number } = {},
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const now = new Date();
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? DEFAULT_SESSION_MS));
  await db.$transaction([
    db.session.deleteMany({ where: { OR: [{ expiresAt: { lte: now } }, { lastSeenAt: { lte: idleCutoff(now) } }] } }),
    db.session.create({ data: { tokenHash: tokenHash(token), volunteerId, expiresAt, lastSeenAt: now } }),
  ]);
  return { token, expiresAt };
}

/**
 * The volunteer a session token belongs to, or null if it is unknown, expired, unused for
 * longer than the idle timeout (default limits().sessionIdleMinutes), or its volunteer is
 * disabled. A live session's lastSeenAt moves forward at most once a minute, so requests do
 * not each cost a write.
 */
export async function getSessionVolunteer(
  db: Db,
  token: string,
  options: { idleMinutes?: number } = {},
): Promise<Volunteer | null> {
  const session = await db.session.findUnique({ where: { tokenHash: tokenHash(token) }, include: { volunteer: true } });
  if (!session) return null;
  const now = new Date();
  if (session.expiresAt <= now || session.lastSeenAt <= idleCutoff(now, options.idleMinutes)) {
    await db.session.deleteMany({ where: { tokenHash: session.tokenHash } });
    return null;
  }
  if (session.volunteer.disabledAt) return null;
  if (now.getTime() - session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    await db.session.updateMany({ where: { tokenHash: session.tokenHash }, data: { lastSeenAt: now } });
  }
  return session.volunteer;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: tokenHash(token) } });
}

/** Ends every session of a volunteer ("sign out everywhere"); returns how many there were. */
export async function deleteVolunteerSessions(db: Db, volunteerId: string): Promise<number> {
  return (await db.session.deleteMany({ where: { volunteerId } })).count;
}

async function researcherNamed(db: Db, name: string): Promise<Volunteer> {
  const researcher = await db.volunteer.findUnique({ where: { username: name } });
  if (!researcher || researcher.role !== "researcher") throw new NotFoundError(`researcher "${name}" does not exist`);
  return researcher;
}

/**
 * Gives a researcher a new password (the same rules as createResearcher) and ends all their
 * sessions, so whoever knew the old one is signed out. Returns how many sessions ended.
 */
export async function setResearcherPassword(db: Db, name: string, secret: string): Promise<{ sessionsEnded: number }> {
  const checked = parse(password, secret, "password");
  const researcher = await researcherNamed(db, name);
  const passwordHash = await hashPassword(checked);
  const [, ended] = await db.$transaction([
    db.volunteer.update({ where: { id: researcher.id }, data: { passwordHash } }),
    db.session.deleteMany({ where: { volunteerId: researcher.id } }),
  ]);
  return { sessionsEnded: ended.count };
}

/**
 * Disables a researcher: no sign-in, and all their sessions end. Disabling again keeps the
 * first date. Returns how many sessions ended.
 */
export async function disableResearcher(db: Db, name: string): Promise<{ sessionsEnded: number }> {
  const researcher = await researcherNamed(db, name);
  const [, ended] = await db.$transaction([
    db.volunteer.updateMany({ where: { id: researcher.id, disabledAt: null }, data: { disabledAt: new Date() } }),
    db.session.deleteMany({ where: { volunteerId: researcher.id } }),
  ]);
  return { sessionsEnded: ended.count };
}

/** Lets a disabled researcher sign in again (with their existing password). */
export async function enableResearcher(db: Db, name: string): Promise<void> {
  const researcher = await researcherNamed(db, name);
  await db.volunteer.update({ where: { id: researcher.id }, data: { disabledAt: null } });
}

export interface ResearcherSummary {
  username: string;
  displayName: string | null;
  createdAt: Date;
  disabledAt: Date | null;
  /** Sessions neither expired nor idle. */
  liveSessions: number;
  /** The latest request of any stored session; null when none is stored (never signed in, or signed out). */
  lastSeenAt: Date | null;
}

/** Every researcher account, by username. */
export async function listResearchers(db: Db, options: { idleMinutes?: number } = {}): Promise<ResearcherSummary[]> {
  const now = new Date();
  const idle = idleCutoff(now, options.idleMinutes);
  const researchers = await db.volunteer.findMany({
    where: { role: "researcher", username: { not: null } },
    orderBy: { username: "asc" },
    select: {
      username: true,
      displayName: true,
      createdAt: true,
      disabledAt: true,
      sessions: { select: { expiresAt: true, lastSeenAt: true } },
    },
  });
  return researchers.map(({ sessions, username, ...r }) => ({
    username: username!, // not null: filtered above
    ...r,
    liveSessions: sessions.filter((s) => s.expiresAt > now && s.lastSeenAt > idle).length,
    lastSeenAt: sessions.reduce<Date | null>((latest, s) => (latest && latest >= s.lastSeenAt ? latest : s.lastSeenAt), null),
  }));
}
