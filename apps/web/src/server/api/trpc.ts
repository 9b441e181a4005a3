/**
 * tRPC setup: the request context and the three kinds of procedure (public, volunteer,
 * researcher). Routers live in ./routers, one per domain, merged in ./root.ts.
 */
import { ConflictError, InvalidInputError, NotFoundError, db, ensureVolunteer } from "@hiwl/db";
import { TRPCError, initTRPC } from "@trpc/server";
import SuperJSON from "superjson";
import { checkResearcher } from "../auth.ts";
import { VOLUNTEER_COOKIE, isVolunteerId, readCookie } from "../cookies.ts";

export interface ContextOptions {
  headers: Headers;
  /** Response headers: procedures set cookies here (sign-in, sign-out). */
  resHeaders: Headers;
  /** Whether the site is served over HTTPS, for the cookies' Secure flag. */
  https: boolean;
}

export function createTRPCContext({ headers, resHeaders, https }: ContextOptions) {
  return { db: db(), headers, resHeaders, https };
}

const t = initTRPC.context<typeof createTRPCContext>().create({ transformer: SuperJSON });

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

/** @hiwl/db's typed failures are the caller's fault; everything else stays a 500. */
const dbErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
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

/** The anonymous volunteer behind the cookie the proxy set, created in the database on first use. */
export const volunteerProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const id = readCookie(ctx.headers, VOLUNTEER_COOKIE);
  if (!isVolunteerId(id)) throw new TRPCError({ code: "UNAUTHORIZED", message: "No volunteer cookie." });
  const volunteer = await ensureVolunteer(ctx.db, id);
  return next({ ctx: { volunteer } });
});

/** Signed-in researchers only: UNAUTHORIZED (401) without a session, FORBIDDEN (403) for anyone else. */
export const researcherProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const check = await checkResearcher(ctx.db, ctx.headers);
  if (!check.ok) throw new TRPCError({ code: check.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", message: check.message });
  return next({ ctx: { researcher: check.researcher } });
});
