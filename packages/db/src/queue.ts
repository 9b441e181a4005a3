import type { Db } from "./client.ts";
import { Prisma, type Galaxy } from "./generated/prisma/client.ts";
import { goldMixing, goldRate, type GoldMixing } from "./gold.ts";
import { sqlOf, type Sql } from "./sql.ts";

/**
 * The next galaxy to show a volunteer: never one they classified, never a retired one, never a
 * gold one (those come mixed in by handOutGalaxy), highest priority first. It is drawn at random from the top `spread` candidates so that
 * volunteers asking at the same moment are spread over the head of the queue instead of all
 * piling onto the single top galaxy. Null when nothing is left for this volunteer.
 *
 * The SQL walks the (retiredAt, priority) index from the top and probes the unique
 * (volunteerId, galaxyId) index per candidate, stopping after `spread` rows: its cost grows
 * with how many top galaxies the volunteer has already done, not with the catalogue's size.
 */
export async function nextGalaxy(
  db: Db,
  volunteerId: string,
  options: { spread?: number; /** [0, 1) draws; a seeded one makes a simulation repeatable. */ random?: () => number } = {},
): Promise<Galaxy | null> {
  const spread = Math.max(1, Math.floor(options.spread ?? 10));
  // One statement, on the driver (sql.ts): the SQL takes well under a millisecond.
  const candidates = await (await sqlOf(db)).query<Galaxy>(Prisma.sql`
    SELECT "g".* FROM "Galaxy" AS "g"
    WHERE "g"."retiredAt" IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM "Classification" AS "c" WHERE "c"."volunteerId" = ${volunteerId} AND "c"."galaxyId" = "g"."id")
      AND NOT EXISTS (SELECT 1 FROM "GoldStandard" AS "gs" WHERE "gs"."galaxyId" = "g"."id")
    ORDER BY "g"."priority" DESC, "g"."id" DESC
    LIMIT ${spread}`);
  return candidates[Math.floor((options.random ?? Math.random)() * candidates.length)] ?? null;
}

/**
 * The galaxy the site shows a volunteer, recorded as handed out to them until `minutes` from
 * now: a classification is accepted only for a galaxy handed to its volunteer. A volunteer who
 * asks again before classifying it (a reload, a second tab) gets the same galaxy while it is
 * active, so hand-outs cannot be collected in bulk; one that retired meanwhile is replaced,
 * its hand-out still good for the vote already under way. Null when nothing is left.
 *
 * While the queue has a galaxy for the volunteer, the next one is a gold galaxy they have not
 * classified with the chance `gold` gives (default: $HIWL_GOLD); a volunteer is never left
 * with gold galaxies only.
 */
export async function handOutGalaxy(
  db: Db,
  volunteerId: string,
  options: Parameters<typeof nextGalaxy>[2] & { minutes: number; gold?: GoldMixing },
): Promise<Galaxy | null> {
  const now = new Date();
  await purgeExpiredHandouts(db, now);
  // On the driver (sql.ts), as nextGalaxy: this runs for every galaxy a volunteer sees.
  const sql = await sqlOf(db);
  const [open] = await sql.query<Galaxy>(Prisma.sql`
    SELECT "g".* FROM "Handout" AS "h" JOIN "Galaxy" AS "g" ON "g"."id" = "h"."galaxyId"
    WHERE "h"."volunteerId" = ${volunteerId} AND "h"."expiresAt" > ${now}
      AND ("g"."retiredAt" IS NULL OR EXISTS (SELECT 1 FROM "GoldStandard" AS "gs" WHERE "gs"."galaxyId" = "g"."id"))
      AND NOT EXISTS (
        SELECT 1 FROM "Classification" AS "c" WHERE "c"."volunteerId" = ${volunteerId} AND "c"."galaxyId" = "g"."id")
    ORDER BY "h"."createdAt" DESC
    LIMIT 1`);
  if (open) return open;
  const queued = await nextGalaxy(db, volunteerId, options);
  if (!queued) return null;
  const galaxy = (await drawGold(sql, volunteerId, options.gold ?? goldMixing(), options.random ?? Math.random)) ?? queued;
  const expiresAt = new Date(now.getTime() + options.minutes * 60_000);
  await sql.execute(Prisma.sql`
    INSERT INTO "Handout" ("volunteerId", "galaxyId", "createdAt", "expiresAt") VALUES (${volunteerId}, ${galaxy.id}, ${now}, ${expiresAt})
    ON CONFLICT ("volunteerId", "galaxyId") DO UPDATE SET "createdAt" = "excluded"."createdAt", "expiresAt" = "excluded"."expiresAt"`);
  return galaxy;
}

/** How often one process deletes expired hand-outs (the queries above skip them meanwhile). */
const PURGE_EVERY_MS = 60_000;
let lastPurge = 0;

async function purgeExpiredHandouts(db: Db, now: Date): Promise<void> {
  if (now.getTime() - lastPurge < PURGE_EVERY_MS) return;
  lastPurge = now.getTime();
  await db.handout.deleteMany({ where: { expiresAt: { lte: now } } });
}

/** With the volunteer's current gold rate, a gold galaxy they have not classified (at random); else null. */
async function drawGold(sql: Sql, volunteerId: string, mixing: GoldMixing, random: () => number): Promise<Galaxy | null> {
  const draw = random();
  // Past both rates the count cannot matter: most requests skip the query.
  if (draw >= Math.max(mixing.earlyRate, mixing.lateRate)) return null;
  const [classified] = await sql.query<{ n: bigint }>(Prisma.sql`
    SELECT COUNT(*) AS "n" FROM "Classification" WHERE "volunteerId" = ${volunteerId}`);
  if (draw >= goldRate(mixing, Number(classified!.n))) return null;
  const left = Prisma.sql`
    FROM "Galaxy" AS "g" JOIN "GoldStandard" AS "gs" ON "gs"."galaxyId" = "g"."id"
    WHERE NOT EXISTS (SELECT 1 FROM "Classification" AS "c" WHERE "c"."volunteerId" = ${volunteerId} AND "c"."galaxyId" = "g"."id")`;
  const [count] = await sql.query<{ n: bigint }>(Prisma.sql`SELECT COUNT(*) AS "n" ${left}`);
  const n = Number(count!.n);
  if (n === 0) return null;
  const [galaxy] = await sql.query<Galaxy>(Prisma.sql`SELECT "g".* ${left} ORDER BY "g"."id" LIMIT 1 OFFSET ${Math.floor(random() * n)}`);
  return galaxy ?? null;
}
