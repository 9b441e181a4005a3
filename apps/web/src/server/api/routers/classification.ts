import {
  classificationsPerDay,
  getGalaxy,
  listVolunteerClassifications,
  nextGalaxy,
  retireIfDone,
  retirementRules,
  submitClassification,
} from "@hiwl/db";
import { z } from "zod";
import { galaxyDetail, galaxySummary } from "../dto.ts";
import { createTRPCRouter, researcherProcedure, volunteerProcedure } from "../trpc.ts";

const HISTORY_PAGE = 30;

export const classificationRouter = createTRPCRouter({
  /** The galaxy this volunteer should classify next, or null when none is left for them. */
  next: volunteerProcedure.query(async ({ ctx }) => {
    const galaxy = await nextGalaxy(ctx.db, ctx.volunteer.id);
    return galaxy && galaxySummary(galaxy);
  }),

  /**
   * Stores one finished walk of the tree (checked against the tree by @hiwl/db) and answers
   * with what all volunteers so far said about the galaxy.
   */
  submit: volunteerProcedure
    .input(
      z.object({
        galaxyId: z.number().int().positive(),
        answers: z.array(z.string()).min(1).max(32),
        startedAt: z.date(),
        finishedAt: z.date(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { classification, duplicate } = await submitClassification(ctx.db, {
        ...input,
        volunteerId: ctx.volunteer.id,
        userAgent: ctx.headers.get("user-agent")?.slice(0, 512) ?? null,
      });
      // Retired on the classification that completes it, not at the next scoring run: until
      // then the queue would keep handing it out.
      if (!duplicate) await retireIfDone(ctx.db, input.galaxyId, retirementRules());
      const galaxy = await getGalaxy(ctx.db, input.galaxyId);
      return { classificationId: classification.id, duplicate, galaxy: galaxy && galaxyDetail(galaxy) };
    }),

  /** The volunteer's classifications, newest first, a page at a time (cursor: the last id seen). */
  history: volunteerProcedure
    .input(z.object({ cursor: z.number().int().positive().nullish() }))
    .query(async ({ ctx, input }) => {
      const rows = await listVolunteerClassifications(ctx.db, ctx.volunteer.id, {
        take: HISTORY_PAGE,
        before: input.cursor ?? undefined,
      });
      return {
        items: rows.map((c) => ({
          id: c.id,
          galaxyId: c.galaxyId,
          externalId: c.galaxy.externalId,
          answers: JSON.parse(c.answers) as string[],
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
