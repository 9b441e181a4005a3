import { countVolunteers, setDisplayName } from "@hiwl/db";
import { z } from "zod";
import { createTRPCRouter, findVolunteer, identityProcedure, publicProcedure, researcherProcedure } from "../trpc.ts";

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

  count: researcherProcedure.query(({ ctx }) => countVolunteers(ctx.db)),
});
