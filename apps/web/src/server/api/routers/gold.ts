import { getGoldAnswers, listGoldStandards, setGoldStandards, unsetGoldStandard } from "@hiwl/db";
import { z } from "zod";
import { createTRPCRouter, researcherProcedure } from "../trpc.ts";

const galaxyId = z.number().int().positive();

/** The gold standard, kept by researchers (gold.ts in @hiwl/db): volunteers only ever see its feedback. */
export const goldRouter = createTRPCRouter({
  /** A galaxy's expert answers, or null when it is not gold. */
  byGalaxy: researcherProcedure.input(z.object({ galaxyId })).query(({ ctx, input }) => getGoldAnswers(ctx.db, input.galaxyId)),

  /** Marks a galaxy gold with this researcher's walk of the tree (replacing earlier answers). */
  mark: researcherProcedure
    .input(z.object({ galaxyId, answers: z.array(z.string().max(8)).min(1).max(32) }))
    .mutation(async ({ ctx, input }) => {
      await setGoldStandards(ctx.db, [input], { origin: "researcher", markedById: ctx.researcher.id });
      return { galaxyId: input.galaxyId, answers: input.answers };
    }),

  unmark: researcherProcedure
    .input(z.object({ galaxyId }))
    .mutation(async ({ ctx, input }) => ({ removed: await unsetGoldStandard(ctx.db, input.galaxyId) })),

  list: researcherProcedure.query(({ ctx }) => listGoldStandards(ctx.db)),
});
