import { countVolunteers, setDisplayName } from "@hiwl/db";
import { z } from "zod";
import { createTRPCRouter, researcherProcedure, volunteerProcedure } from "../trpc.ts";

export const volunteerRouter = createTRPCRouter({
  me: volunteerProcedure.query(({ ctx }) => ({ displayName: ctx.volunteer.displayName })),

  setDisplayName: volunteerProcedure
    .input(z.object({ name: z.string().trim().max(40).nullable() }))
    .mutation(async ({ ctx, input }) => {
      const updated = await setDisplayName(ctx.db, ctx.volunteer.id, input.name || null);
      return { displayName: updated.displayName };
    }),

  count: researcherProcedure.query(({ ctx }) => countVolunteers(ctx.db)),
});
