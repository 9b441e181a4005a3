import {
  classificationsPerDay,
  type Db,
  getGoldAnswers,
  goldFeedback,
  handOutGalaxy,
  idempotencyKey,
  limits,
  listVolunteerClassifications,
  storedPath,
  submitClassification,
  takeToken,
} from "@hiwl/db";
import { z } from "zod";
import { clientKey } from "../../client.ts";
import { warmImage } from "../../image-cache.ts";
import { galaxyDetail } from "../dto.ts";
import {
  createTRPCRouter,
  findVolunteer,
  identityProcedure,
  publicProcedure,
  researcherProcedure,
  tooManyRequests,
  volunteerProcedure,
} from "../trpc.ts";

const HISTORY_PAGE = 30;

/**
 * Hands the volunteer the galaxy they should classify next (handOutGalaxy) and starts reading
 * its image, which the page asks for next: its id alone, no label, votes or prediction before
 * they answer. Null when none is left for them.
 */
async function handOutNext(ctx: { db: Db; volunteer: { id: string } }) {
  const galaxy = await handOutGalaxy(ctx.db, ctx.volunteer.id, { minutes: limits().handoutMinutes });
  if (!galaxy) return null;
  warmImage(storedPath(galaxy.imagePath), galaxy.imageHash);
  return { id: galaxy.id, imageHash: galaxy.imageHash };
}

export const classificationRouter = createTRPCRouter({
  /** The galaxy this volunteer should classify next (handOutNext), or null when none is left for them. */
  next: identityProcedure.query(({ ctx }) => handOutNext(ctx)),

  /**
   * Stores one finished walk of the tree of a galaxy handed to this volunteer (checked by
   * @hiwl/db) and answers with what the volunteers so far and the active model said about it,
   * and on a gold-standard galaxy how the walk compares with the expert's; with it the galaxy
   * to classify next (handOutNext), so that the page has it, and its image, while the volunteer
   * reads the answer: one request per classification fewer.
   * A retried request (same idempotency key) gets the first one's answer.
   */
  submit: volunteerProcedure
    .input(
      z.object({
        galaxyId: z.number().int().positive(),
        answers: z.array(z.string().max(8)).min(1).max(32),
        startedAt: z.date(),
        finishedAt: z.date(),
        /** Chosen by the page once per walk, so that a retry is recognised. */
        idempotencyKey,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const wait = await takeToken(ctx.db, "submissions", ctx.volunteer.id, limits().submissions);
      if (wait > 0) throw tooManyRequests(ctx, wait, "You are classifying faster than anyone can look");
      const { classification, duplicate, retired, galaxy } = await submitClassification(ctx.db, {
        ...input,
        volunteerId: ctx.volunteer.id,
        userAgent: ctx.headers.get("user-agent")?.slice(0, 512) ?? null,
        clientKey: clientKey(ctx.address),
      });
      const gold = classification.flag === "gold" ? await getGoldAnswers(ctx.db, input.galaxyId) : null;
      return {
        classificationId: classification.id,
        duplicate,
        /** "after_retirement" or "same_address" when the vote was stored but counts differently. */
        flag: classification.flag,
        retired,
        galaxy: galaxy && galaxyDetail(galaxy),
        /** On a gold-standard galaxy: the expert's answer beside the volunteer's, question by question. */
        gold: gold && goldFeedback(input.answers, gold),
        /** What classification.next would answer now. */
        next: await handOutNext(ctx),
      };
    }),

  /** The volunteer's classifications, newest first, a page at a time (cursor: the last id seen). */
  history: publicProcedure
    .input(z.object({ cursor: z.number().int().positive().nullish() }))
    .query(async ({ ctx, input }) => {
      const volunteer = await findVolunteer(ctx);
      const rows = volunteer
        ? await listVolunteerClassifications(ctx.db, volunteer.id, { take: HISTORY_PAGE, before: input.cursor ?? undefined })
        : [];
      return {
        items: rows.map((c) => ({
          id: c.id,
          galaxyId: c.galaxyId,
          imageHash: c.galaxy.imageHash,
          answers: c.answers,
          startedAt: c.startedAt,
          finishedAt: c.finishedAt,
        })),
        nextCursor: rows.length === HISTORY_PAGE ? rows.at(-1)!.id : null,
      };
    }),

  perDay: researcherProcedure
    .input(z.object({ days: z.number().int().min(1).max(365).default(30) }))
    .query(({ ctx, input }) => classificationsPerDay(ctx.db, { days: input.days })),
});
