import {
  consensusOf,
  galaxyCounts,
  galaxyListQuery,
  getGalaxy,
  listGalaxies,
  listVoteFractions,
  predictedClassOf,
  type Consensus,
} from "@hiwl/db";
import { HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { galaxyDetail } from "../dto.ts";
import { createTRPCRouter, publicProcedure, researcherProcedure } from "../trpc.ts";

const PAGE_SIZE = 24;

export interface GalleryItem {
  id: number;
  externalId: string;
  classificationCount: number;
  retired: boolean;
  consensus: Consensus;
  /** The active model's prediction, if it scored the galaxy. */
  predicted: { predictedClass: HiwlClass | null; uncertainty: number } | null;
}

export const galaxyRouter = createTRPCRouter({
  byId: publicProcedure.input(z.object({ id: z.number().int().positive() })).query(async ({ ctx, input }) => {
    const galaxy = await getGalaxy(ctx.db, input.id);
    if (!galaxy) throw new TRPCError({ code: "NOT_FOUND", message: `Galaxy ${input.id} does not exist.` });
    return galaxyDetail(galaxy);
  }),

  list: publicProcedure
    .input(galaxyListQuery.omit({ pageSize: true }))
    .query(async ({ ctx, input }): Promise<{ total: number; pageSize: number; galaxies: GalleryItem[] }> => {
      const { galaxies, total } = await listGalaxies(ctx.db, { ...input, pageSize: PAGE_SIZE });
      return {
        total,
        pageSize: PAGE_SIZE,
        galaxies: galaxies.map((g) => ({
          id: g.id,
          externalId: g.externalId,
          classificationCount: g.classificationCount,
          retired: g.retiredAt !== null,
          consensus: g.consensus,
          predicted: g.activePrediction && {
            predictedClass: predictedClassOf(g.activePrediction),
            uncertainty: g.activePrediction.uncertainty,
          },
        })),
      };
    }),

  /** Active/retired counts and the class balance of the volunteers' consensus. */
  stats: researcherProcedure.query(async ({ ctx }) => {
    const [counts, votes] = await Promise.all([galaxyCounts(ctx.db), listVoteFractions(ctx.db)]);
    const balance = Object.fromEntries([...HIWL_CLASSES, "none"].map((c) => [c, 0])) as Record<HiwlClass | "none", number>;
    for (const v of votes) balance[consensusOf(v)]++;
    return { ...counts, classified: votes.length, balance };
  }),
});
