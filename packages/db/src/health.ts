/**
 * What `GET /api/health` reports: whether the database answers, whether the active model's
 * files are there to serve, and whether a training worker is alive (its heartbeat, written
 * here by `hiwl watch`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { METADATA_FILE } from "@hiwl/model";
import type { Db } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { storedPath } from "./paths.ts";
import { sqlOf } from "./sql.ts";

/** A worker silent for longer than this is taken for gone (its heartbeat is every 15 s). */
export const WORKER_SILENT_MS = 120_000;

export function recordWorkerHeartbeat(db: Db, workerId: string, state: string, startedAt: Date): Promise<unknown> {
  const seenAt = new Date();
  return db.workerHeartbeat.upsert({
    where: { workerId },
    create: { workerId, startedAt, seenAt, state },
    update: { startedAt, seenAt, state, stoppedAt: null },
  });
}

export function recordWorkerStopped(db: Db, workerId: string): Promise<unknown> {
  return db.workerHeartbeat.updateMany({ where: { workerId }, data: { stoppedAt: new Date(), state: "stopped" } });
}

export interface HealthCheck {
  ok: boolean;
  detail: string;
}

export interface Health {
  ok: boolean;
  database: HealthCheck;
  model: HealthCheck & { version: string | null };
  worker: HealthCheck & { workerId: string | null; seenAt: Date | null };
}

const message = (error: unknown) => (error instanceof Error ? error.message.split("\n").at(-1)!.trim() : String(error));

/** Whether the database answers one trivial query: a server's own readiness, for load balancers. */
export async function checkDatabase(db: Db): Promise<HealthCheck> {
  try {
    // On the driver (sql.ts), as the votes' statements: a load balancer asks often.
    await (await sqlOf(db)).query(Prisma.sql`SELECT 1`);
    return { ok: true, detail: "answers" };
  } catch (error) {
    return { ok: false, detail: `unreachable: ${message(error)}` };
  }
}

/**
 * Each check with what is wrong, if anything. No model yet is healthy (a new site classifies
 * without one); an active model whose files are gone is not, nor is a worker that stopped or
 * went silent, nor one that never reported.
 */
export async function checkHealth(db: Db, now = new Date()): Promise<Health> {
  const database = await checkDatabase(db);
  if (!database.ok) {
    const down = { ok: false, detail: "not checked: the database is unreachable" };
    return { ok: false, database, model: { ...down, version: null }, worker: { ...down, workerId: null, seenAt: null } };
  }

  const active = await db.modelVersion.findFirst({ where: { active: true }, select: { version: true, path: true } });
  let model: Health["model"];
  if (!active) model = { ok: true, detail: "no model yet: the site classifies without predictions", version: null };
  else if (!existsSync(join(storedPath(active.path), METADATA_FILE))) {
    model = { ok: false, detail: `the active model ${active.version} has no files at ${storedPath(active.path)}`, version: active.version };
  } else model = { ok: true, detail: `${active.version} is active`, version: active.version };

  const newest = await db.workerHeartbeat.findFirst({ where: { stoppedAt: null }, orderBy: { seenAt: "desc" } });
  let worker: Health["worker"];
  if (!newest) {
    const stopped = await db.workerHeartbeat.findFirst({ orderBy: { seenAt: "desc" } });
    worker = stopped
      ? { ok: false, detail: `no training worker running: ${stopped.workerId} stopped at ${stopped.stoppedAt!.toISOString()}`, workerId: stopped.workerId, seenAt: stopped.seenAt }
      : { ok: false, detail: "no training worker has reported: start one with `hiwl watch`", workerId: null, seenAt: null };
  } else {
    const silentMs = now.getTime() - newest.seenAt.getTime();
    worker =
      silentMs > WORKER_SILENT_MS
        ? { ok: false, detail: `the training worker ${newest.workerId} has been silent for ${Math.round(silentMs / 1000)} s`, workerId: newest.workerId, seenAt: newest.seenAt }
        : { ok: true, detail: `${newest.workerId}: ${newest.state}`, workerId: newest.workerId, seenAt: newest.seenAt };
  }
  return { ok: database.ok && model.ok && worker.ok, database, model, worker };
}
