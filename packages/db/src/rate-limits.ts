/**
 * The limits of limits.ts as state every web server of a site shares: the RateLimit table.
 * Each check is one statement (a token bucket) or one short transaction (sign-in), atomic on
 * both databases, so N servers give a client the limit once, not N times. Portable SQL only:
 * CASE instead of MIN/LEAST, times as milliseconds, parameters cast where PostgreSQL cannot
 * infer their type.
 */
import type { Db } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import type { BucketLimit, Limits } from "./limits.ts";
import { sqlOf } from "./sql.ts";

/** What a token bucket limits, by whom: the key's prefix. */
export type BucketKind = "identities" | "submissions" | "comments";

/** A row untouched this long is forgotten: a full bucket, a failure streak that ended. */
export const FORGET_MS = 24 * 3600 * 1000;
/** How often one process deletes forgotten rows. */
const PURGE_EVERY_MS = 10 * 60 * 1000;

let lastPurge = 0;

async function purgeForgotten(db: Db, now: number): Promise<void> {
  if (now - lastPurge < PURGE_EVERY_MS) return;
  lastPurge = now;
  await db.rateLimit.deleteMany({ where: { at: { lt: now - FORGET_MS } } });
}

const float = (x: number) => Prisma.sql`CAST(${x} AS DOUBLE PRECISION)`;

/**
 * Takes a token from `kind`'s bucket for `key` (a client address, a volunteer id): 0 when
 * granted, otherwise the whole seconds until a token is there. Up to `burst` at once, refilled
 * at `perMinute`.
 */
export async function takeToken(db: Db, kind: BucketKind, key: string, limit: BucketLimit, now = Date.now()): Promise<number> {
  const perMs = limit.perMinute / 60_000;
  const burst = float(limit.burst);
  // Requests race: one that read the clock before another's write can reach the row after it,
  // with `now` behind "at". Time never runs backwards for a bucket: such a request finds it
  // grown by nothing (not shrunk), and "at" keeps the later time.
  const later = Prisma.sql`${float(now)} > "RateLimit"."at"`;
  const grown = Prisma.sql`(CASE WHEN ${later} THEN "RateLimit"."value" + (${float(now)} - "RateLimit"."at") * ${float(perMs)} ELSE "RateLimit"."value" END)`;
  const refilled = Prisma.sql`(CASE WHEN ${grown} > ${burst} THEN ${burst} ELSE ${grown} END)`;
  const [row] = await (await sqlOf(db)).query<{ value: number; granted: boolean | number | bigint }>(Prisma.sql`
    INSERT INTO "RateLimit" ("key", "value", "at", "granted") VALUES (${`${kind}:${key}`}, ${float(limit.burst - 1)}, ${float(now)}, TRUE)
    ON CONFLICT ("key") DO UPDATE SET
      "value" = CASE WHEN ${refilled} >= 1 THEN ${refilled} - 1 ELSE ${refilled} END,
      "granted" = ${refilled} >= 1,
      "at" = CASE WHEN ${later} THEN ${float(now)} ELSE "RateLimit"."at" END
    RETURNING "value", "granted"`);
  await purgeForgotten(db, now);
  if (Number(row!.granted)) return 0;
  return Math.max(1, Math.ceil((1 - Number(row!.value)) / perMs / 1000));
}

type SignInLimits = Pick<Limits, "signInFreeFailures" | "signInDelaySeconds" | "signInMaxDelaySeconds">;

const signInKeys = (username: string, address: string) => [`sign-in-address:${address}`, `sign-in-user:${username.toLowerCase()}`];

/**
 * Password guessing made slow: after `signInFreeFailures` failed sign-ins in a row for one
 * username (from anywhere) or from one client address (for any username), each further try
 * must wait `signInDelaySeconds`, doubling with every failure up to `signInMaxDelaySeconds`.
 * A try counts as a failure from the moment it starts (the rows are locked while it is
 * counted), so a burst of parallel tries on any servers gets no more than the free ones; a
 * success takes its own try back and clears the username (signInSucceeded).
 *
 * Returns 0 when the try may go ahead, otherwise the seconds to wait, with nothing counted.
 * The flip side of a per-username delay is that anyone can slow down sign-in for a known
 * username; the delay is capped (15 minutes by default) and a researcher already signed in is
 * not affected.
 */
export async function beginSignIn(db: Db, username: string, address: string, limits: SignInLimits, now = Date.now()): Promise<number> {
  const wait = await db.$transaction(async (tx) => {
    let longest = 0;
    const forgotten = float(now - FORGET_MS);
    // Always in the same (sorted) order, so two tries never wait for each other's locks.
    for (const key of signInKeys(username, address)) {
      // The upsert locks the row until the transaction ends; a streak over a day old restarts.
      const [row] = await tx.$queryRaw<{ value: number; at: number }[]>`
        INSERT INTO "RateLimit" ("key", "value", "at", "granted") VALUES (${key}, ${float(0)}, ${float(now)}, TRUE)
        ON CONFLICT ("key") DO UPDATE SET
          "value" = CASE WHEN "RateLimit"."at" < ${forgotten} THEN ${float(0)} ELSE "RateLimit"."value" END,
          "at" = CASE WHEN "RateLimit"."at" < ${forgotten} THEN ${float(now)} ELSE "RateLimit"."at" END
        RETURNING "value", "at"`;
      const beyond = Number(row!.value) - limits.signInFreeFailures;
      if (beyond < 0) continue;
      const delay = Math.min(limits.signInMaxDelaySeconds, limits.signInDelaySeconds * 2 ** beyond);
      longest = Math.max(longest, Math.ceil((Number(row!.at) + delay * 1000 - now) / 1000));
    }
    if (longest > 0) return longest;
    await tx.rateLimit.updateMany({ where: { key: { in: signInKeys(username, address) } }, data: { value: { increment: 1 }, at: now } });
    return 0;
  });
  await purgeForgotten(db, now);
  return wait;
}

/** A sign-in that beginSignIn let through succeeded. */
export async function signInSucceeded(db: Db, username: string, address: string): Promise<void> {
  const [addressKey, userKey] = signInKeys(username, address);
  await db.$transaction([
    db.rateLimit.deleteMany({ where: { key: userKey } }),
    db.$executeRaw`UPDATE "RateLimit" SET "value" = CASE WHEN "value" >= 1 THEN "value" - 1 ELSE ${float(0)} END WHERE "key" = ${addressKey}`,
  ]);
}
