import { countAnswers, validateWalk } from "@hiwl/model";
import { z } from "zod";
import type { Db } from "./client.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { Prisma, type Classification } from "./generated/prisma/client.ts";
import { isPrismaError } from "./prisma-errors.ts";

/** A classification as the site posts it (dates may arrive as ISO strings). */
export const classificationSubmission = z
  .object({
    volunteerId: z.string().min(1).max(128),
    galaxyId: z.number().int().positive(),
    answers: z.array(z.string()).min(1).max(32),
    startedAt: z.coerce.date(),
    finishedAt: z.coerce.date(),
    userAgent: z.string().max(512).nullish(),
  })
  .refine((s) => s.finishedAt >= s.startedAt, { message: "finishedAt is before startedAt", path: ["finishedAt"] });
export type ClassificationSubmission = z.input<typeof classificationSubmission>;

export interface SubmitResult {
  classification: Classification;
  /** True when this exact classification was already stored (a retried request). */
  duplicate: boolean;
}

/**
 * Stores a classification and its votes in one transaction: the Classification row, one
 * VoteTally increment per answer and the galaxy's classificationCount. The tallies are
 * incremented in SQL (INSERT ... ON CONFLICT DO UPDATE count = count + 1), never read and
 * rewritten, so concurrent submitters cannot overwrite each other's votes.
 *
 * Resubmitting the same answers for the same galaxy returns the stored classification
 * (duplicate: true) and changes nothing; different answers throw ConflictError. A retired
 * galaxy still takes classifications: the volunteer was served it before it retired.
 */
export async function submitClassification(db: Db, submission: ClassificationSubmission): Promise<SubmitResult> {
  const parsed = classificationSubmission.safeParse(submission);
  if (!parsed.success) throw new InvalidInputError(`invalid classification: ${z.prettifyError(parsed.error)}`);
  const input = parsed.data;
  const walk = validateWalk(input.answers);
  if (!walk.ok) throw new InvalidInputError(`invalid classification: ${walk.error}`);
  const answers = JSON.stringify(input.answers);
  const key = { volunteerId_galaxyId: { volunteerId: input.volunteerId, galaxyId: input.galaxyId } };

  // Retried requests are common (double clicks, flaky networks): answer them without
  // starting a transaction that would fail on the unique key.
  const existing = await db.classification.findUnique({ where: key });
  if (existing) return resolveResubmission(existing, answers);

  const tallies = Prisma.join(input.answers.map((answerId) => Prisma.sql`(${input.galaxyId}, ${answerId}, 1)`));
  try {
    const [classification] = await db.$transaction([
      db.classification.create({
        data: {
          volunteerId: input.volunteerId,
          galaxyId: input.galaxyId,
          answers,
          startedAt: input.startedAt,
          finishedAt: input.finishedAt,
          userAgent: input.userAgent ?? null,
        },
      }),
      db.$executeRaw`
        INSERT INTO "VoteTally" ("galaxyId", "answerId", "count") VALUES ${tallies}
        ON CONFLICT ("galaxyId", "answerId") DO UPDATE SET "count" = "VoteTally"."count" + "excluded"."count"`,
      db.galaxy.update({ where: { id: input.galaxyId }, data: { classificationCount: { increment: 1 } } }),
    ]);
    return { classification, duplicate: false };
  } catch (e) {
    // Lost a race with the same volunteer's other request for this galaxy.
    if (isPrismaError(e, "unique")) {
      const winner = await db.classification.findUnique({ where: key });
      if (winner) return resolveResubmission(winner, answers);
    }
    if (isPrismaError(e, "foreignKey")) throw await missingReference(db, input.volunteerId, input.galaxyId, e);
    throw e;
  }
}

function resolveResubmission(existing: Classification, answers: string): SubmitResult {
  if (existing.answers === answers) return { classification: existing, duplicate: true };
  throw new ConflictError(
    `volunteer ${existing.volunteerId} already classified galaxy ${existing.galaxyId} with different answers ` +
      `(classification ${existing.id})`,
  );
}

async function missingReference(db: Db, volunteerId: string, galaxyId: number, cause: unknown): Promise<Error> {
  const [volunteer, galaxy] = await Promise.all([
    db.volunteer.findUnique({ where: { id: volunteerId }, select: { id: true } }),
    db.galaxy.findUnique({ where: { id: galaxyId }, select: { id: true } }),
  ]);
  if (!galaxy) return new NotFoundError(`galaxy ${galaxyId} does not exist`, { cause });
  if (!volunteer) return new NotFoundError(`volunteer ${volunteerId} does not exist`, { cause });
  return cause instanceof Error ? cause : new Error(String(cause));
}

export type HistoryEntry = Classification & { galaxy: { id: number; imagePath: string; externalId: string } };

/** A volunteer's classifications, newest first; pass the last id seen as `before` for the next page. */
export function listVolunteerClassifications(
  db: Db,
  volunteerId: string,
  options: { take?: number; before?: number } = {},
): Promise<HistoryEntry[]> {
  return db.classification.findMany({
    where: { volunteerId, ...(options.before === undefined ? {} : { id: { lt: options.before } }) },
    include: { galaxy: { select: { id: true, imagePath: true, externalId: true } } },
    orderBy: { id: "desc" },
    take: options.take ?? 50,
  });
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
  const rows = await db.$queryRaw<{ day: string; n: bigint | number }[]>`
    SELECT date("finishedAt") AS "day", COUNT(*) AS "n" FROM "Classification"
    WHERE "finishedAt" >= ${since} GROUP BY "day"`;
  const counts = new Map(rows.map((r) => [r.day, Number(r.n)]));
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    return { day, count: counts.get(day) ?? 0 };
  });
}

export interface TallyMismatch {
  galaxyId: number;
  /** An answer id, or "classificationCount". */
  field: string;
  stored: number;
  recomputed: number;
}

/**
 * Recomputes every galaxy's tallies and classification count from its classifications and
 * lists where the stored values differ: empty when the incremental bookkeeping is right.
 */
export async function checkTallies(db: Db): Promise<TallyMismatch[]> {
  const [galaxies, classifications, tallies] = await Promise.all([
    db.galaxy.findMany({ select: { id: true, classificationCount: true } }),
    db.classification.findMany({ select: { galaxyId: true, answers: true } }),
    db.voteTally.findMany(),
  ]);
  const walksByGalaxy = new Map<number, string[][]>();
  for (const c of classifications) {
    const walks = walksByGalaxy.get(c.galaxyId) ?? [];
    walks.push(JSON.parse(c.answers) as string[]);
    walksByGalaxy.set(c.galaxyId, walks);
  }
  const storedByGalaxy = new Map<number, Record<string, number>>();
  for (const t of tallies) {
    const stored = storedByGalaxy.get(t.galaxyId) ?? {};
    stored[t.answerId] = t.count;
    storedByGalaxy.set(t.galaxyId, stored);
  }
  const mismatches: TallyMismatch[] = [];
  for (const g of galaxies) {
    const { counts, total } = countAnswers(walksByGalaxy.get(g.id) ?? []);
    if (g.classificationCount !== total) {
      mismatches.push({ galaxyId: g.id, field: "classificationCount", stored: g.classificationCount, recomputed: total });
    }
    const stored = storedByGalaxy.get(g.id) ?? {};
    for (const answerId of new Set([...Object.keys(stored), ...Object.keys(counts)])) {
      const [s, r] = [stored[answerId] ?? 0, counts[answerId] ?? 0];
      if (s !== r) mismatches.push({ galaxyId: g.id, field: answerId, stored: s, recomputed: r });
    }
  }
  return mismatches;
}
