import {
  beginSignIn,
  createSession,
  deleteSession,
  deleteVolunteerSessions,
  getSessionVolunteer,
  limits,
  passwordDerivationsWaiting,
  signInSucceeded,
  verifyResearcher,
} from "@hiwl/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { SESSION_COOKIE, readCookie, serializeCookie } from "../../cookies.ts";
import { createTRPCRouter, publicProcedure, researcherProcedure, tooManyRequests } from "../trpc.ts";

/** Sign-ins waiting for a password check beyond this are turned away rather than queued. */
const MAX_WAITING_SIGN_INS = 8;

export const authRouter = createTRPCRouter({
  /** Who is signed in, or null. */
  me: publicProcedure.query(async ({ ctx }) => {
    const token = readCookie(ctx.headers, SESSION_COOKIE);
    const user = token ? await getSessionVolunteer(ctx.db, token) : null;
    return user && { id: user.id, username: user.username, displayName: user.displayName, role: user.role };
  }),

  /**
   * Unknown usernames and wrong passwords get the same answer after the same work (a full
   * password check); failures are logged and slow down the next tries (sign-in-throttle.ts).
   */
  signIn: publicProcedure
    .input(z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      if (passwordDerivationsWaiting() >= MAX_WAITING_SIGN_INS) throw tooManyRequests(ctx, 5, "Sign-in is busy");
      const wait = await beginSignIn(ctx.db, input.username, ctx.address, limits());
      const who = `${JSON.stringify(input.username)} from ${ctx.address} (request ${ctx.requestId})`;
      if (wait > 0) {
        console.warn(`sign-in refused, too many failures: ${who}`);
        throw tooManyRequests(ctx, wait, "Too many failed sign-ins for this account or from your network");
      }
      const researcher = await verifyResearcher(ctx.db, input.username, input.password);
      if (!researcher) {
        console.warn(`sign-in failed: ${who}`);
        throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong username or password." });
      }
      await signInSucceeded(ctx.db, input.username, ctx.address);
      const { token, expiresAt } = await createSession(ctx.db, researcher.id);
      const maxAge = Math.floor((expiresAt.getTime() - Date.now()) / 1000);
      ctx.resHeaders.append("set-cookie", serializeCookie(SESSION_COOKIE, token, { maxAge, secure: ctx.https }));
      return { username: researcher.username };
    }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    const token = readCookie(ctx.headers, SESSION_COOKIE);
    if (token) await deleteSession(ctx.db, token);
    ctx.resHeaders.append("set-cookie", serializeCookie(SESSION_COOKIE, "", { maxAge: 0, secure: ctx.https }));
  }),

  /** Ends every session of the signed-in researcher, on every device (a lost laptop). */
  signOutEverywhere: researcherProcedure.mutation(async ({ ctx }) => {
    const ended = await deleteVolunteerSessions(ctx.db, ctx.researcher.id);
    ctx.resHeaders.append("set-cookie", serializeCookie(SESSION_COOKIE, "", { maxAge: 0, secure: ctx.https }));
    return { ended };
  }),
});
