import { randomUUID } from "node:crypto";
import { retirementReason, validateWalk, type RetirementReason, type RetirementRules } from "@hiwl/model";
import { z } from "zod";
import { consensusOf } from "./aggregates.ts";
import { providerOf, typedParam, type Db } from "./client.ts";
import { answersOf, toStoredJson, walkAnswers } from "./contracts.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { galaxyDetailOf, getGalaxy, type GalaxyDetail } from "./galaxies.ts";
import { Prisma, type Classification, type ClassificationFlag, type Galaxy } from "./generated/prisma/client.ts";
import { limits } from "./limits.ts";
import { predictionProbabilities, readActivePrediction } from "./model-versions.ts";
import { isPrismaError } from "./prisma-errors.ts";
import { retirementRules } from "./retirement-rules.ts";
import { sqlOf, type Sql } from "./sql.ts";
import { readGalaxyTallies, talliesOf } from "./tallies.ts";

/** How far ahead of the server's clock a volunteer's clock may be (time zones set wrong). */
const CLOCK_SKEW_MS = 24 * 3600 * 1000;

/** A client-chosen idempotency key: a UUID or any similar token. */
export const idempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "16-64 letters, digits, '_' or '-'");

/** A classification as the site posts it (dates may arrive as ISO strings). */
export const classificationSubmission = z
  .object({
    volunteerId: z.string().min(1).max(128),
    galaxyId: z.number().int().positive(),
    answers: z.array(z.string().max(8)).min(1).max(32),
    startedAt: z.coerce.date(),
    finishedAt: z.coerce.date(),
    userAgent: z.string().max(512).nullish(),
    /** One per walk; absent for server-side callers (simulations), which get a random one. */
    idempotencyKey: idempotencyKey.optional(),
    /** Keyed hash of the client's network address (clientKey()); absent for simulated votes. */
    clientKey: z.string().max(64).nullish(),
  })
  .refine((s) => s.finishedAt >= s.startedAt, { message: "finishedAt is before startedAt", path: ["finishedAt"] })
  .refine((s) => s.finishedAt.getTime() <= Date.now() + CLOCK_SKEW_MS, {
    message: "finishedAt is in the future",
    path: ["finishedAt"],
  });
export type ClassificationSubmission = z.input<typeof classificationSubmission>;

export type { ClassificationFlag };

/** The classifications whose answers are in the tallies: all but the "same_address" ones. */
export const countedClassification = {
  OR: [{ flag: null }, { flag: { not: "same_address" } }],
} satisfies Prisma.ClassificationWhereInput;

/** countedClassification in raw SQL. */
const countedSql = Prisma.sql`("flag" IS NULL OR "flag" <> 'same_address')`;

export interface SubmitOptions {
  /**
   * Whether the galaxy must have been handed to the volunteer (handOutGalaxy) and the hand-out
   * not have expired. The site always requires it; simulated volunteers and imported history
   * pass false.
   */
  requireHandout?: boolean;
  /** Default: the project's rules ($HIWL_RETIREMENT); null: never retire here (imported history). */
  rules?: RetirementRules | null;
  /** Default: the project's limits ($HIWL_LIMITS). */
  votesPerAddress?: number;
}

export interface SubmitResult {
  classification: Classification;
  /** True when this classification was already stored under its idempotency key (a retried request). */
  duplicate: boolean;
  /** Why this classification retired the galaxy, or null. */
  retired: RetirementReason | null;
  /** The galaxy as this classification left it (null: deleted meanwhile). */
  galaxy: GalaxyDetail | null;
}

/** What store() knows: the galaxy's detail when the transaction read it anyway. */
type Stored = Omit<SubmitResult, "galaxy"> & { galaxy?: GalaxyDetail | null };

/**
 * Stores one volunteer's classification of one galaxy. Everything it changes happens in one
 * transaction: the Classification row, one VoteTally increment per answer, the galaxy's
 * classificationCount and stored consensus (and its share), the hand-out it uses up, and the galaxy's
 * retirement when this vote completes it. Tallies are incremented in SQL, never read and
 * rewritten, so concurrent submitters cannot overwrite each other's votes.
 *
 * - A retried request (same idempotency key, volunteer, galaxy and answers) returns the stored
 *   classification with duplicate: true and changes nothing; the key with anything else is a
 *   ConflictError, as is a second classification of the same galaxy by the same volunteer.
 * - Without a live hand-out of the galaxy to this volunteer: ConflictError (an unknown galaxy
 *   or volunteer: NotFoundError). A galaxy that retired after it was handed out still takes
 *   the vote, flagged "after_retirement"; its retirement stands as it was.
 * - Votes beyond `votesPerAddress` from one network address on one galaxy are stored, flagged
 *   "same_address", and counted nowhere, so no single address can retire a galaxy.
 * - A vote on a gold-standard galaxy is flagged "gold": counted in the tallies, never toward
 *   retirement (gold.ts).
 */
export async function submitClassification(
  db: Db,
  submission: ClassificationSubmission,
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  const result = await store(db, submission, options);
  return { ...result, galaxy: result.galaxy !== undefined ? result.galaxy : await getGalaxy(db, submission.galaxyId) };
}

async function store(db: Db, submission: ClassificationSubmission, options: SubmitOptions): Promise<Stored> {
  const parsed = classificationSubmission.safeParse(submission);
  if (!parsed.success) throw new InvalidInputError(`invalid classification: ${z.prettifyError(parsed.error)}`);
  const input = parsed.data;
  const walk = validateWalk(input.answers);
  if (!walk.ok) throw new InvalidInputError(`invalid classification: ${walk.error}`);
  const answers = toStoredJson(walkAnswers, input.answers, { table: "Classification", field: "answers" });
  const key = input.idempotencyKey ?? randomUUID();
  const { volunteerId, galaxyId } = input;

  // Retried requests are common (double clicks, flaky networks): answered before any check
  // that the first request's success has since made fail (its hand-out is used up).
  // On the driver (sql.ts) throughout: this runs for every vote.
  const sql = await sqlOf(db);
  const earlier = await storedBefore(sql, key, volunteerId, galaxyId, answers);
  if (earlier) return earlier;
  // A live hand-out names an existing galaxy and volunteer (foreign keys): the two lookups are
  // needed only without one, to say which is missing.
  const handout =
    (options.requireHandout ?? true)
      ? ((
          await sql.query<{ expiresAt: Date }>(Prisma.sql`
            SELECT "expiresAt" FROM "Handout" WHERE "volunteerId" = ${volunteerId} AND "galaxyId" = ${galaxyId}`)
        )[0] ?? null)
      : null;
  if (!handout) {
    if (!(await db.galaxy.findUnique({ where: { id: galaxyId }, select: { id: true } }))) {
      throw new NotFoundError(`galaxy ${galaxyId} does not exist`);
    }
    if (!(await db.volunteer.findUnique({ where: { id: volunteerId }, select: { id: true } }))) {
      throw new NotFoundError(`volunteer ${volunteerId} does not exist`);
    }
    if (options.requireHandout ?? true) throw new ConflictError(`galaxy ${galaxyId} was not handed to you: ask for the next galaxy`);
  } else if (handout.expiresAt <= new Date()) {
    throw new ConflictError(`your hand-out of galaxy ${galaxyId} expired at ${handout.expiresAt.toISOString()}: ask for the next galaxy`);
  }

  const rules = options.rules === undefined ? retirementRules() : options.rules;
  const votesPerAddress = options.votesPerAddress ?? limits().votesPerAddress;
  try {
    return await sql.transaction(async (tx) => {
      // Taken first: the galaxy's row lock queues concurrent votes on it behind this one, so
      // every read below sees the latest commit (SQLite's BEGIN IMMEDIATE holds its write lock).
      const [locked] = await tx.query<Galaxy & { gold: boolean | bigint }>(Prisma.sql`
        UPDATE "Galaxy" SET "id" = "id" WHERE "id" = ${galaxyId}
        RETURNING *, EXISTS (SELECT 1 FROM "GoldStandard" AS "gs" WHERE "gs"."galaxyId" = "Galaxy"."id") AS "gold"`);
      if (!locked) throw new NotFoundError(`galaxy ${galaxyId} does not exist`);
      const { gold, ...galaxy } = locked;
      const sameAddress =
        input.clientKey != null &&
        Number(
          (
            await tx.query<{ n: bigint }>(Prisma.sql`
              SELECT COUNT(*) AS "n" FROM "Classification"
              WHERE "galaxyId" = ${galaxyId} AND "clientKey" = ${input.clientKey} AND ${countedSql}`)
          )[0]!.n,
        ) >= votesPerAddress;
      const flag: ClassificationFlag | null = sameAddress
        ? "same_address"
        : Number(gold)
          ? "gold"
          : galaxy.retiredAt
            ? "after_retirement"
            : null;
      const [classification] = await tx.query<Classification>(Prisma.sql`
        INSERT INTO "Classification"
          ("volunteerId", "galaxyId", "answers", "startedAt", "finishedAt", "userAgent", "idempotencyKey", "flag", "clientKey")
        VALUES (${volunteerId}, ${galaxyId}, ${typedParam(tx, JSON.stringify(answers), "JSONB")}, ${input.startedAt}, ${input.finishedAt},
          ${input.userAgent ?? null}, ${key}, ${typedParam(tx, flag, '"ClassificationFlag"')}, ${input.clientKey ?? null})
        RETURNING *`);
      await tx.execute(Prisma.sql`DELETE FROM "Handout" WHERE "volunteerId" = ${volunteerId} AND "galaxyId" = ${galaxyId}`);
      if (flag === "same_address") return { classification: classification!, duplicate: false, retired: null };

      const increments = Prisma.join(input.answers.map((answerId) => Prisma.sql`(${galaxyId}, ${answerId}, 1)`));
      await tx.execute(Prisma.sql`
        INSERT INTO "VoteTally" ("galaxyId", "answerId", "count") VALUES ${increments}
        ON CONFLICT ("galaxyId", "answerId") DO UPDATE SET "count" = "VoteTally"."count" + "excluded"."count"`);
      // The row is locked: its count is exact, and this vote adds one (stored below with the rest).
      const counted = (await readGalaxyTallies(tx, galaxyId))!;
      const tallies = talliesOf(galaxyId, counted.counts, counted.classificationCount + 1);
      const prediction = await readActivePrediction(tx, galaxyId);
      const retired =
        flag === null && rules !== null
          ? retirementReason(
              {
                classifications: tallies.classificationCount,
                voteFractions: tallies.voteFractions,
                prediction: prediction && predictionProbabilities(prediction),
                acquisition: prediction?.acquisition ?? null,
              },
              rules,
            )
          : null;
      const stored = { ...consensusOf(tallies.voteFractions), ...(retired && { retiredAt: new Date(), retirementReason: retired }) };
      const retirement = stored.retiredAt ? Prisma.sql`, "retiredAt" = ${stored.retiredAt}, "retirementReason" = ${retired}` : Prisma.empty;
      await tx.execute(Prisma.sql`
        UPDATE "Galaxy" SET "classificationCount" = "classificationCount" + 1, "consensus" = ${stored.consensus},
          "consensusShare" = ${stored.consensusShare} ${retirement}
        WHERE "id" = ${galaxyId}`);
      return { classification: classification!, duplicate: false, retired, galaxy: galaxyDetailOf({ ...galaxy, ...stored }, tallies, prediction) };
    });
  } catch (e) {
    // Lost a race with another request of the same walk (same key) or of the same volunteer.
    if (isPrismaError(e, "unique")) {
      const winner = await storedBefore(sql, key, volunteerId, galaxyId, answers);
      if (winner) return winner;
    }
    throw e;
  }
}

function retried(stored: Classification, volunteerId: string, galaxyId: number, answers: Prisma.InputJsonValue): Stored {
  // Both sides are the contract's canonical form (toStoredJson, answersOf): compared as JSON text.
  if (stored.volunteerId === volunteerId && stored.galaxyId === galaxyId && JSON.stringify(answersOf(stored)) === JSON.stringify(answers)) {
    return { classification: stored, duplicate: true, retired: null };
  }
  throw new ConflictError("this idempotency key was already used for another classification: use a new key for a new walk");
}

/**
 * What is stored already for this walk: the classification under its idempotency key (a retried
 * request: a duplicate, or a ConflictError when the key was used for another walk), or a
 * ConflictError when the volunteer classified the galaxy under another key; null when neither.
 * One statement: a first attempt committing meanwhile in another process is seen as the
 * retry's own classification, never as the galaxy "already classified".
 */
async function storedBefore(
  sql: Sql,
  key: string,
  volunteerId: string,
  galaxyId: number,
  answers: Prisma.InputJsonValue,
): Promise<Stored | null> {
  const rows = await sql.query<Classification>(Prisma.sql`
    SELECT * FROM "Classification" WHERE "idempotencyKey" = ${key} OR ("volunteerId" = ${volunteerId} AND "galaxyId" = ${galaxyId})`);
  const byKey = rows.find((c) => c.idempotencyKey === key);
  if (byKey) return retried(byKey, volunteerId, galaxyId, answers);
  if (rows.length > 0) throw new ConflictError(`you have already classified galaxy ${galaxyId}`);
  return null;
}

/** When the volunteer classified the galaxy, or null when they have not. */
export async function classifiedAt(db: Db, volunteerId: string, galaxyId: number): Promise<Date | null> {
  const row = await db.classification.findUnique({ where: { volunteerId_galaxyId: { volunteerId, galaxyId } }, select: { finishedAt: true } });
  return row?.finishedAt ?? null;
}

export type HistoryEntry = Omit<Classification, "answers"> & {
  answers: string[];
  galaxy: { id: number; imagePath: string; imageHash: string | null; externalId: string };
};

/** A volunteer's classifications, newest first; pass the last id seen as `before` for the next page. */
export async function listVolunteerClassifications(
  db: Db,
  volunteerId: string,
  options: { take?: number; before?: number } = {},
): Promise<HistoryEntry[]> {
  const rows = await db.classification.findMany({
    where: { volunteerId, ...(options.before === undefined ? {} : { id: { lt: options.before } }) },
    include: { galaxy: { select: { id: true, imagePath: true, imageHash: true, externalId: true } } },
    orderBy: { id: "desc" },
    take: options.take ?? 50,
  });
  return rows.map((c) => ({ ...c, answers: answersOf(c) }));
}

/**
 * Classifications finished per UTC day over the last `days` days (today included), with the
 * days nobody classified as zeros so a chart's x axis is continuous.
 */
export async function classificationsPerDay(
  db: Db,
  options: { days?: number; now?: Date } = {},
): Promise<{ day: string; count: number }[]> {
  const days = options.days ?? 30;
  const today = new Date(options.now ?? Date.now());
  today.setUTCHours(0, 0, 0, 0);
  const since = new Date(today.getTime() - (days - 1) * 86_400_000);
  // The UTC day of a stored time: Prisma stores UTC on both databases.
  const day = providerOf(db) === "postgresql" ? Prisma.sql`to_char("finishedAt", 'YYYY-MM-DD')` : Prisma.sql`date("finishedAt")`;
  const rows = await db.$queryRaw<{ day: string; n: bigint | number }[]>`
    SELECT ${day} AS "day", COUNT(*) AS "n" FROM "Classification"
    WHERE "finishedAt" >= ${since} GROUP BY "day"`;
  const counts = new Map(rows.map((r) => [r.day, Number(r.n)]));
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    return { day, count: counts.get(day) ?? 0 };
  });
}
