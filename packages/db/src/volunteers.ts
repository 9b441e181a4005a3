import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { z } from "zod";
import type { Db } from "./client.ts";
import { ConflictError, InvalidInputError } from "./errors.ts";
import type { Volunteer } from "./generated/prisma/client.ts";
import { isPrismaError } from "./prisma-errors.ts";

const volunteerId = z.string().min(1).max(128);
const displayName = z.string().trim().min(1).max(40).nullable();
const username = z.string().regex(/^[a-zA-Z0-9_.-]{3,32}$/, "3-32 letters, digits, '.', '_' or '-'");
const password = z.string().min(10, "at least 10 characters").max(256);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(`invalid ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
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

// scrypt cost N=2^15, r=8, p=1 (32 MiB, tens of ms here). The parameters are stored with each
// hash, so raising them later leaves existing passwords verifiable.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function deriveKey(secret: string, salt: Buffer, params: { N: number; r: number; p: number }, length: number) {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(secret, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** "scrypt$N$r$p$salt$key" (base64url): everything needed to verify, nothing secret. */
async function hashPassword(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await deriveKey(secret, salt, SCRYPT, KEY_LENGTH);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

async function passwordMatches(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await deriveKey(secret, Buffer.from(salt, "base64url"), { N: Number(n), r: Number(r), p: Number(p) }, expected.length);
  return timingSafeEqual(actual, expected);
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
    role: "researcher",
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

/** The researcher with these credentials, or null. */
export async function verifyResearcher(db: Db, name: string, secret: string): Promise<Volunteer | null> {
  const researcher = await db.volunteer.findUnique({ where: { username: name } });
  const stored = researcher?.role === "researcher" ? researcher.passwordHash : null;
  const ok = await passwordMatches(secret, stored ?? (await (dummyHash ??= hashPassword(randomUUID()))));
  return ok && stored ? researcher : null;
}

const DEFAULT_SESSION_MS = 30 * 24 * 3600 * 1000;

const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * A new sign-in session. Only the token's SHA-256 is stored, so a leaked database does not
 * hand out live sessions; the token itself goes into the cookie. Expired sessions are purged
 * on the way.
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
    db.session.deleteMany({ where: { expiresAt: { lte: now } } }),
    db.session.create({ data: { tokenHash: tokenHash(token), volunteerId, expiresAt } }),
  ]);
  return { token, expiresAt };
}

/** The volunteer a session token belongs to, or null if it is unknown or expired. */
export async function getSessionVolunteer(db: Db, token: string): Promise<Volunteer | null> {
  const session = await db.session.findUnique({ where: { tokenHash: tokenHash(token) }, include: { volunteer: true } });
  return session && session.expiresAt > new Date() ? session.volunteer : null;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: tokenHash(token) } });
}
