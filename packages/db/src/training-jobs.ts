import { providerOf, type Db } from "./client.ts";
import { jobProgress, storedJsonText, trainingJobConfig, writeJsonColumns, type JobProgress, type TrainingSettings } from "./contracts.ts";
import type { JobStatus, TrainingJob } from "./generated/prisma/client.ts";

export type { JobStatus };

/** Queues a training job; `config` holds the training settings it overrides (contract: trainingJobConfig). */
export async function queueTrainingJob(
  db: Db,
  config: TrainingSettings = {},
  options: { requestedById?: string | null; reason?: string | null } = {},
): Promise<TrainingJob> {
  const text = storedJsonText(trainingJobConfig, config, { table: "TrainingJob", field: "config" });
  return db.$transaction(async (tx) => {
    const { id } = await tx.trainingJob.create({
      data: { config: {}, requestedById: options.requestedById ?? null, reason: options.reason ?? null },
      select: { id: true },
    });
    // The JSON as text (writeJsonColumns: Prisma would round its numbers), in the same transaction.
    await writeJsonColumns(tx, "TrainingJob", id, { config: text });
    return tx.trainingJob.findUniqueOrThrow({ where: { id } });
  });
}

/**
 * Moves the oldest queued job to running for this worker, or returns null when none is
 * queued. On PostgreSQL one UPDATE takes the job with FOR UPDATE SKIP LOCKED: workers claiming
 * at once each get a different job, none waits for another. On SQLite (one writer at a time)
 * the move is an UPDATE conditional on status = 'queued': of several workers that picked the
 * same job only one changes a row; the others see 0 rows and try the next job.
 */
export async function claimNextJob(db: Db, workerId: string): Promise<TrainingJob | null> {
  if (providerOf(db) === "postgresql") {
    const now = new Date();
    const [claimed] = await db.$queryRaw<{ id: number }[]>`
      UPDATE "TrainingJob" SET "status" = 'running', "workerId" = ${workerId}, "startedAt" = ${now}, "heartbeatAt" = ${now}
      WHERE "id" = (SELECT "id" FROM "TrainingJob" WHERE "status" = 'queued' ORDER BY "createdAt", "id" LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING "id"`;
    return claimed ? db.trainingJob.findUniqueOrThrow({ where: { id: claimed.id } }) : null;
  }
  for (;;) {
    const next = await db.trainingJob.findFirst({
      where: { status: "queued" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true },
    });
    if (!next) return null;
    const now = new Date();
    const { count } = await db.trainingJob.updateMany({
      where: { id: next.id, status: "queued" },
      data: { status: "running", workerId, startedAt: now, heartbeatAt: now },
    });
    if (count === 1) return db.trainingJob.findUniqueOrThrow({ where: { id: next.id } });
  }
}

/**
 * Records progress and doubles as the heartbeat. Returns false when the job is no longer
 * this worker's to run (failStaleJobs gave up on it): the worker should stop.
 */
export async function updateJobProgress(
  db: Db,
  jobId: number,
  workerId: string,
  progress: JobProgress,
): Promise<boolean> {
  const text = storedJsonText(jobProgress, progress, { table: "TrainingJob", id: jobId, field: "progress" });
  // One conditional UPDATE, the JSON as text (writeJsonColumns explains why): only the job's own
  // worker, while it runs, writes it.
  const count = await db.$executeRaw`
    UPDATE "TrainingJob" SET "progress" = ${text}, "heartbeatAt" = ${new Date()}
    WHERE "id" = ${jobId} AND "workerId" = ${workerId} AND "status" = 'running'`;
  return count === 1;
}

/** Ends a running job; false if it was not this worker's running job. */
export async function finishJob(
  db: Db,
  jobId: number,
  workerId: string,
  outcome: { status: "succeeded" } | { status: "failed"; error: string },
): Promise<boolean> {
  const now = new Date();
  const { count } = await db.trainingJob.updateMany({
    where: { id: jobId, workerId, status: "running" },
    data: { status: outcome.status, error: outcome.status === "failed" ? outcome.error : null, finishedAt: now, heartbeatAt: now },
  });
  return count === 1;
}

/**
 * Fails the running jobs whose worker has been silent for `maxSilenceMs` (killed, crashed,
 * machine gone), so they do not show as running forever. Returns how many.
 */
export async function failStaleJobs(db: Db, maxSilenceMs: number): Promise<number> {
  const now = new Date();
  const cutoff = new Date(now.getTime() - maxSilenceMs);
  const { count } = await db.trainingJob.updateMany({
    where: { status: "running", heartbeatAt: { lt: cutoff } },
    data: { status: "failed", error: `no heartbeat from the worker for over ${Math.round(maxSilenceMs / 1000)} s`, finishedAt: now },
  });
  return count;
}

export type JobListEntry = TrainingJob & { modelVersion: { id: number; version: string; active: boolean } | null };

/** Jobs newest first, for the researcher dashboard. */
export function listJobs(db: Db, options: { status?: JobStatus; take?: number } = {}): Promise<JobListEntry[]> {
  return db.trainingJob.findMany({
    where: options.status === undefined ? {} : { status: options.status },
    include: { modelVersion: { select: { id: true, version: true, active: true } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: options.take ?? 50,
  });
}
