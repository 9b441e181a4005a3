/**
 * tRPC setup: the request context, the error shape clients see, and the kinds of procedure
 * (public, volunteer, researcher). Routers live in ./routers, one per domain, merged in ./root.ts.
 */
import { randomUUID } from "node:crypto";
import { ConflictError, InvalidInputError, NotFoundError, db, ensureVolunteer, getVolunteer, isDatabaseUnavailable, limits, takeToken, type Volunteer } from "@hiwl/db";
import { TRPCError, initTRPC } from "@trpc/server";
import SuperJSON from "superjson";
import { checkResearcher } from "../auth.ts";
import { clientAddress } from "../client.ts";
import { VOLUNTEER_COOKIE, VOLUNTEER_COOKIE_MAX_AGE, isVolunteerId, readCookie, serializeCookie } from "../cookies.ts";
import { UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_SECONDS } from "../unavailable.ts";

export interface ContextOptions {
  headers: Headers;
  /** Response headers: procedures set cookies and Retry-After here. */
  resHeaders: Headers;
  /** Whether the site is served over HTTPS, for the cookies' Secure flag. */
  https: boolean;
  /** Names this request in the server log and in the error a client sees. */
  requestId?: string;
}

export function createTRPCContext({ headers, resHeaders, https, requestId = randomUUID() }: ContextOptions) {
  return { db: db(), headers, resHeaders, https, requestId, address: clientAddress(headers) };
}

type Context = ReturnType<typeof createTRPCContext>;

const t = initTRPC.context<Context>().create({
  transformer: SuperJSON,
  /**
   * Clients get a stable code, a message meant for them and the request id; the detail of a
   * server fault (SQL, stack, ids) goes to the server log only (the route's onError).
   */
  errorFormatter({ shape, error, ctx }) {
    const requestId = ctx?.requestId ?? null;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      code: shape.code,
      message: internal ? `Something went wrong on the server (request ${requestId ?? "unknown"}).` : shape.message,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, requestId },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

/**
 * @hiwl/db's typed failures are the caller's fault; a database out of reach (down, restarting)
 * is a 503 with Retry-After, which the same request outlives; everything else stays a 500.
 */
const dbErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (isDatabaseUnavailable(cause)) {
      ctx.resHeaders.set("retry-after", String(UNAVAILABLE_RETRY_SECONDS));
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: UNAVAILABLE_MESSAGE, cause });
    }
    const code =
      cause instanceof InvalidInputError
        ? "BAD_REQUEST"
        : cause instanceof NotFoundError
          ? "NOT_FOUND"
          : cause instanceof ConflictError
            ? "CONFLICT"
            : null;
    if (code) throw new TRPCError({ code, message: cause!.message, cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(dbErrors);

/** A 429 whose Retry-After says when to come back. */
export function tooManyRequests(ctx: Pick<Context, "resHeaders">, seconds: number, message: string): TRPCError {
  ctx.resHeaders.set("retry-after", String(seconds));
  return new TRPCError({ code: "TOO_MANY_REQUESTS", message: `${message}: try again in ${seconds} s.` });
}

/** The volunteer this request's cookie names, if the database knows them. */
export async function findVolunteer(ctx: Context): Promise<Volunteer | null> {
  const id = readCookie(ctx.headers, VOLUNTEER_COOKIE);
  return isVolunteerId(id) ? getVolunteer(ctx.db, id) : null;
}

/** An existing volunteer only: nothing here creates an identity (a submission never does). */
export const volunteerProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const volunteer = await findVolunteer(ctx);
  if (!volunteer) throw new TRPCError({ code: "UNAUTHORIZED", message: "No volunteer identity yet: ask for a galaxy first." });
  return next({ ctx: { volunteer } });
});

/**
 * The volunteer behind the cookie, created when new: the one way identities come to be (with
 * classification.next and a chosen display name). New identities are rate-limited per client
 * address; without a cookie (a client that loaded no page) one is set on the response.
 */
export const identityProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const existing = await findVolunteer(ctx);
  if (existing) return next({ ctx: { volunteer: existing } });
  const wait = await takeToken(ctx.db, "identities", ctx.address, limits().identities);
  if (wait > 0) throw tooManyRequests(ctx, wait, "Too many new volunteers from your network");
  const cookie = readCookie(ctx.headers, VOLUNTEER_COOKIE);
  const id = isVolunteerId(cookie) ? cookie : randomUUID();
  if (id !== cookie) {
    ctx.resHeaders.append("set-cookie", serializeCookie(VOLUNTEER_COOKIE, id, { maxAge: VOLUNTEER_COOKIE_MAX_AGE, secure: ctx.https }));
  }
  return next({ ctx: { volunteer: await ensureVolunteer(ctx.db, id) } });
});

/** Signed-in researchers only: UNAUTHORIZED (401) without a session, FORBIDDEN (403) for anyone else. */
export const researcherProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const check = await checkResearcher(ctx.db, ctx.headers);
  if (!check.ok) throw new TRPCError({ code: check.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", message: check.message });
  return next({ ctx: { researcher: check.researcher } });
});

/** Whether a researcher is asking: they see every galaxy's labels, votes and predictions. */
export async function isResearcher(ctx: Context): Promise<boolean> {
  return (await checkResearcher(ctx.db, ctx.headers)).ok;
}
