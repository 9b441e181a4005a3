import {
  countVolunteers,
  isFavourite,
  listFavourites,
  listVolunteerSkills,
  refreshVolunteerSkills,
  setDisplayName,
  setFavourite,
} from "@hiwl/db";
import { z } from "zod";
import { createTRPCRouter, findVolunteer, identityProcedure, publicProcedure, researcherProcedure, volunteerProcedure } from "../trpc.ts";

const galaxyId = z.number().int().positive();
const SKILLS_PAGE = 50;

export const volunteerRouter = createTRPCRouter({
  /** This browser's volunteer, or no name before they have an identity. */
  me: publicProcedure.query(async ({ ctx }) => ({ displayName: (await findVolunteer(ctx))?.displayName ?? null })),

  setDisplayName: identityProcedure
    .input(
      z.object({
        // Control and format characters (NUL, bidirectional overrides) would let a name disguise itself.
        name: z.string().trim().max(40).regex(/^[^\p{Cc}\p{Cf}]*$/u, "letters, digits, spaces and punctuation only").nullable(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const updated = await setDisplayName(ctx.db, ctx.volunteer.id, input.name || null);
      return { displayName: updated.displayName };
    }),

  /** Keeps a galaxy in (or takes it out of) this volunteer's favourites. */
  setFavourite: volunteerProcedure.input(z.object({ galaxyId, on: z.boolean() })).mutation(async ({ ctx, input }) => {
    await setFavourite(ctx.db, ctx.volunteer.id, input.galaxyId, input.on);
    return { galaxyId: input.galaxyId, on: input.on };
  }),

  isFavourite: publicProcedure.input(z.object({ galaxyId })).query(async ({ ctx, input }) => {
    const volunteer = await findVolunteer(ctx);
    return volunteer ? isFavourite(ctx.db, volunteer.id, input.galaxyId) : false;
  }),

  /** This browser's favourites, newest first (none before it has an identity). */
  favourites: publicProcedure.query(async ({ ctx }) => {
    const volunteer = await findVolunteer(ctx);
    return volunteer ? listFavourites(ctx.db, volunteer.id) : [];
  }),

  count: researcherProcedure.query(({ ctx }) => countVolunteers(ctx.db)),

  /** Every volunteer's skill estimate as last computed (by the worker before each training, or refreshSkills), most active first. */
  skills: researcherProcedure
    .input(z.object({ page: z.number().int().min(1).default(1) }))
    .query(({ ctx, input }) => listVolunteerSkills(ctx.db, { page: input.page, pageSize: SKILLS_PAGE })),

  /** Estimates every volunteer's skill now. */
  refreshSkills: researcherProcedure.mutation(({ ctx }) => refreshVolunteerSkills(ctx.db)),
});
