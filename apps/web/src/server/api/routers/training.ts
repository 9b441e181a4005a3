import {
  getActiveModelVersion,
  getFeatureMap,
  listFeatureMaps,
  listJobs,
  listModelVersions,
  queueTrainingJob,
  shownJobProgress,
  shownModelMetrics,
  shownModelVersionConfig,
  withModelMetrics,
} from "@hiwl/db";
import { z } from "zod";
import { createTRPCRouter, publicProcedure, researcherProcedure } from "../trpc.ts";

export const trainingRouter = createTRPCRouter({
  /**
   * The model the site predicts with, or null before the first training run; with its test
   * galaxies' reliability bins (null before calibration), which say how often it was right when
   * it was as sure as it is about the galaxy on screen.
   */
  activeModel: publicProcedure.query(async ({ ctx }) => {
    const model = await getActiveModelVersion(ctx.db);
    return (
      model && {
        id: model.id,
        version: model.version,
        createdAt: model.createdAt,
        reliability: shownModelMetrics(model).calibration?.bins ?? null,
      }
    );
  }),

  models: researcherProcedure.query(async ({ ctx }) => {
    const [models, maps] = await Promise.all([listModelVersions(ctx.db), listFeatureMaps(ctx.db)]);
    const mapPoints = new Map(maps.map((m) => [m.modelVersionId, m.points]));
    return models.map(withModelMetrics).map((m) => ({
      id: m.id,
      version: m.version,
      active: m.active,
      createdAt: m.createdAt,
      trainingJobId: m.trainingJobId,
      config: shownModelVersionConfig(m),
      metrics: m.metrics,
      featureMapPoints: mapPoints.get(m.id) ?? 0,
    }));
  }),

  /** A model version's feature map: one point per galaxy, with its consensus and predicted class. */
  featureMap: researcherProcedure
    .input(z.object({ modelVersionId: z.number().int().positive() }))
    .query(({ ctx, input }) => getFeatureMap(ctx.db, input.modelVersionId)),

  jobs: researcherProcedure.query(async ({ ctx }) => {
    const jobs = await listJobs(ctx.db, { take: 20 });
    return jobs.map((j) => ({
      id: j.id,
      status: j.status,
      reason: j.reason,
      error: j.error,
      createdAt: j.createdAt,
      startedAt: j.startedAt,
      finishedAt: j.finishedAt,
      heartbeatAt: j.heartbeatAt,
      progress: shownJobProgress(j),
      modelVersion: j.modelVersion,
    }));
  }),

  /** Queues a training run; a second press while one is still queued returns that one. */
  retrain: researcherProcedure.mutation(async ({ ctx }) => {
    const [queued] = await listJobs(ctx.db, { status: "queued", take: 1 });
    if (queued) return { jobId: queued.id, alreadyQueued: true };
    const job = await queueTrainingJob(ctx.db, {}, { requestedById: ctx.researcher.id, reason: "Retrain now (dashboard)" });
    return { jobId: job.id, alreadyQueued: false };
  }),
});
