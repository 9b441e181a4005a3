import { galaxyCounts, getGalaxy, listGalaxies, listVoteFractions } from "@hiwl/db";
import { HIWL_CLASSES, selectClass, type HiwlClass } from "@hiwl/model";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { galaxyDetail } from "../dto.ts";
import { createTRPCRouter, publicProcedure, researcherProcedure } from "../trpc.ts";

const PAGE_SIZE = 24;

/** Consensus of the volunteers: a class, "none" (votes, but no class passes its rules) or null (no votes). */
export type Consensus = HiwlClass | "none" | null;

const consensusOf = (voteFractions: readonly number[]): Exclude<Consensus, null> => selectClass(voteFractions) ?? "none";

export interface GalleryItem {
  id: number;
  externalId: string;
  classificationCount: number;
  retired: boolean;
  consensus: Consensus;
}

export const galaxyRouter = createTRPCRouter({
  byId: publicProcedure.input(z.object({ id: z.number().int().positive() })).query(async ({ ctx, input }) => {
    const galaxy = await getGalaxy(ctx.db, input.id);
    if (!galaxy) throw new TRPCError({ code: "NOT_FOUND", message: `Galaxy ${input.id} does not exist.` });
    return galaxyDetail(galaxy);
  }),

  list: publicProcedure
    .input(
      z.object({
        retired: z.boolean().optional(),
        consensus: z.enum([...HIWL_CLASSES, "none"]).optional(),
        page: z.number().int().min(1).default(1),
      }),
    )
    .query(async ({ ctx, input }): Promise<{ total: number; pageSize: number; galaxies: GalleryItem[] }> => {
      const { retired, consensus, page } = input;
      if (consensus) {
        // Only classified galaxies have a consensus, so the filtered set comes from the votes
        // alone; newest first like the unfiltered listing.
        const matching = (await listVoteFractions(ctx.db, { retired }))
          .filter((g) => consensusOf(g.voteFractions) === consensus)
          .reverse();
        const slice = matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
        return {
          total: matching.length,
          pageSize: PAGE_SIZE,
          galaxies: slice.map((g) => ({
            id: g.galaxyId,
            externalId: g.externalId,
            classificationCount: g.classificationCount,
            retired: g.retired,
            consensus,
          })),
        };
      }
      const { galaxies, total } = await listGalaxies(ctx.db, { retired, page, pageSize: PAGE_SIZE });
      const votes = await listVoteFractions(ctx.db, { galaxyIds: galaxies.map((g) => g.id) });
      const consensusById = new Map(votes.map((v) => [v.galaxyId, consensusOf(v.voteFractions)]));
      return {
        total,
        pageSize: PAGE_SIZE,
        galaxies: galaxies.map((g) => ({
          id: g.id,
          externalId: g.externalId,
          classificationCount: g.classificationCount,
          retired: g.retiredAt !== null,
          consensus: consensusById.get(g.id) ?? null,
        })),
      };
    }),

  /** Active/retired counts and the class balance of the volunteers' consensus. */
  stats: researcherProcedure.query(async ({ ctx }) => {
    const [counts, votes] = await Promise.all([galaxyCounts(ctx.db), listVoteFractions(ctx.db)]);
    const balance = Object.fromEntries([...HIWL_CLASSES, "none"].map((c) => [c, 0])) as Record<HiwlClass | "none", number>;
    for (const v of votes) balance[consensusOf(v.voteFractions)]++;
    return { ...counts, classified: votes.length, balance };
  }),
});
