import { exportSizes } from "@hiwl/db";
import { createTRPCRouter, researcherProcedure } from "../trpc.ts";

export const exportRouter = createTRPCRouter({
  /** What the CSV routes (/api/export/*.csv) would deliver right now. */
  sizes: researcherProcedure.query(({ ctx }) => exportSizes(ctx.db)),
});
