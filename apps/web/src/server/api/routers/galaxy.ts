import {
  answerExamples,
  classifiedAt,
  consensusBalance,
  galaxyCounts,
  galaxyListQuery,
  getGalaxy,
  listGalaxies,
  type AnswerExample,
} from "@hiwl/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { galaxyView, galleryItem } from "../dto.ts";
import { createTRPCRouter, findVolunteer, isResearcher, publicProcedure, researcherProcedure } from "../trpc.ts";

const PAGE_SIZE = 24;

// The field guide's examples change only when galaxies retire (or retired ones get votes):
// computed again only when the retired galaxies' count, latest retirement or votes change.
let guide: { key: string; examples: Promise<Record<string, AnswerExample[]>> } | undefined;

export type GalleryItem = ReturnType<typeof galleryItem>;

export const galaxyRouter = createTRPCRouter({
  byId: publicProcedure.input(z.object({ id: z.number().int().positive() })).query(async ({ ctx, input }) => {
    const galaxy = await getGalaxy(ctx.db, input.id);
    if (!galaxy) throw new TRPCError({ code: "NOT_FOUND", message: `Galaxy ${input.id} does not exist.` });
    const volunteer = await findVolunteer(ctx);
    return {
      ...galaxyView(galaxy, await isResearcher(ctx)),
      /** When the asking volunteer classified it (null: they have not), so the page can say so. */
      classifiedByYouAt: volunteer && (await classifiedAt(ctx.db, volunteer.id, galaxy.id)),
    };
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
  fieldGuide: publicProcedure.query(async ({ ctx }) => {
    const retired = await ctx.db.galaxy.aggregate({
      where: { retiredAt: { not: null } },
      _count: true,
      _max: { retiredAt: true },
      _sum: { classificationCount: true },
    });
    const key = `${retired._count}/${retired._max.retiredAt?.getTime() ?? 0}/${retired._sum.classificationCount ?? 0}`;
    if (guide?.key !== key) {
      const examples = answerExamples(ctx.db).catch((error: unknown) => {
        guide = undefined;
        throw error;
      });
      guide = { key, examples };
    }
    return guide.examples;
  }),

  /** Active/retired counts and the class balance of the volunteers' consensus. */
  stats: researcherProcedure.query(async ({ ctx }) => {
    const [counts, balance] = await Promise.all([galaxyCounts(ctx.db), consensusBalance(ctx.db)]);
    return { ...counts, classified: Object.values(balance).reduce((a, b) => a + b, 0), balance };
  }),
});
