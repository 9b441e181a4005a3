/**
 * Classifications the server has not acknowledged yet, kept in the browser's localStorage until
 * it does: a submission that fails on the way (offline, a 5xx, 429) survives a reload and is
 * sent again with its idempotency key, so the server stores it exactly once.
 */
import { TRPCClientError } from "@trpc/client";
import { z } from "zod";
import type { RouterInputs } from "~/trpc/types.ts";

export type Submission = RouterInputs["classification"]["submit"];

const STORAGE_KEY = "hiwl.outbox";

/** The stored shape: JSON turns the dates into strings, which coerce back. */
const Stored = z.array(
  z.object({
    galaxyId: z.number().int().positive(),
    answers: z.array(z.string()).min(1),
    startedAt: z.coerce.date(),
    finishedAt: z.coerce.date(),
    idempotencyKey: z.string(),
  }),
);

function read(): Submission[] {
  try {
    const parsed = Stored.safeParse(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]"));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

function write(submissions: Submission[]): void {
  try {
    if (submissions.length === 0) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, JSON.stringify(submissions));
  } catch {
    // Storage full or disabled (private mode): the page still retries while it stays open.
  }
}

export const outbox = {
  /** Keeps a submission (replacing an earlier walk of the same galaxy). */
  keep(submission: Submission): void {
    write([...read().filter((s) => s.galaxyId !== submission.galaxyId), submission]);
  },
  drop(idempotencyKey: string): void {
    write(read().filter((s) => s.idempotencyKey !== idempotencyKey));
  },
  forGalaxy(galaxyId: number): Submission | undefined {
    return read().find((s) => s.galaxyId === galaxyId);
  },
  all: read,
};

/** Whether sending the same submission again can succeed: no answer at all, a server error, or 429. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return true;
  const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
  return status === undefined || status >= 500 || status === 429;
}

/** 1, 2, 4 ... seconds after each failed attempt, at most 30. */
export function retryDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** attempt);
}

type Send = (submission: Submission) => Promise<unknown>;

/**
 * Sends every kept submission, dropping those the server took or refused for good; returns
 * how many are still waiting (the connection is still down).
 */
export async function flushOutbox(send: Send): Promise<number> {
  let waiting = 0;
  for (const submission of outbox.all()) {
    try {
      await send(submission);
      outbox.drop(submission.idempotencyKey);
    } catch (error) {
      if (isRetryable(error)) waiting++;
      else outbox.drop(submission.idempotencyKey);
    }
  }
  return waiting;
}
