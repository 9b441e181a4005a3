import { authRouter } from "./routers/auth.ts";
import { classificationRouter } from "./routers/classification.ts";
import { exportRouter } from "./routers/export.ts";
import { galaxyRouter } from "./routers/galaxy.ts";
import { goldRouter } from "./routers/gold.ts";
import { talkRouter } from "./routers/talk.ts";
import { trainingRouter } from "./routers/training.ts";
import { volunteerRouter } from "./routers/volunteer.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  classification: classificationRouter,
  export: exportRouter,
  galaxy: galaxyRouter,
  gold: goldRouter,
  talk: talkRouter,
  training: trainingRouter,
  volunteer: volunteerRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
