import { answerExamples, consensusBalance, galaxyCounts, galaxyListQuery, getGalaxy, listGalaxies, type AnswerExample } from "@hiwl/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { galaxyView, galleryItem } from "../dto.ts";
import { createTRPCRouter, isResearcher, publicProcedure, researcherProcedure } from "../trpc.ts";

const PAGE_SIZE = 24;

// The field guide's examples change only as galaxies retire: computed at most every few minutes.
const GUIDE_TTL_MS = 5 * 60_000;
let guide: { at: number; examples: Promise<Record<string, AnswerExample[]>> } | undefined;

export type GalleryItem = ReturnType<typeof galleryItem>;

export const galaxyRouter = createTRPCRouter({
  byId: publicProcedure.input(z.object({ id: z.number().int().positive() })).query(async ({ ctx, input }) => {
    const galaxy = await getGalaxy(ctx.db, input.id);
    if (!galaxy) throw new TRPCError({ code: "NOT_FOUND", message: `Galaxy ${input.id} does not exist.` });
    return galaxyView(galaxy, await isResearcher(ctx));
  }),

  /**
   * A page of the gallery. Volunteers' filters and orders by class or by the model's
   * uncertainty look at retired galaxies only: on active ones they would give the answers away.
   */
  list: publicProcedure
    .input(galaxyListQuery.omit({ pageSize: true }))
    .query(async ({ ctx, input }): Promise<{ total: number; pageSize: number; galaxies: GalleryItem[]; retiredOnly: boolean }> => {
      const researcher = await isResearcher(ctx);
      const revealing =
        input.consensus !== undefined || input.predicted !== undefined || input.uncertainty !== undefined || input.sort !== "newest";
      const retiredOnly = !researcher && revealing;
      if (retiredOnly && input.retired === false) return { total: 0, pageSize: PAGE_SIZE, galaxies: [], retiredOnly };
      const { galaxies, total } = await listGalaxies(ctx.db, { ...input, ...(retiredOnly && { retired: true }), pageSize: PAGE_SIZE });
      return { total, pageSize: PAGE_SIZE, galaxies: galaxies.map((g) => galleryItem(g, researcher)), retiredOnly };
    }),

  /** Example galaxies for each answer of the tree (retired ones the crowd agreed on), for the field guide and tutorial. */
  fieldGuide: publicProcedure.query(({ ctx }) => {
    if (!guide || Date.now() - guide.at > GUIDE_TTL_MS) {
      const examples = answerExamples(ctx.db).catch((error: unknown) => {
        guide = undefined;
        throw error;
      });
      guide = { at: Date.now(), examples };
    }
    return guide.examples;
  }),

  /** Active/retired counts and the class balance of the volunteers' consensus. */
  stats: researcherProcedure.query(async ({ ctx }) => {
    const [counts, balance] = await Promise.all([galaxyCounts(ctx.db), consensusBalance(ctx.db)]);
    return { ...counts, classified: Object.values(balance).reduce((a, b) => a + b, 0), balance };
  }),
});
