import { createSession, deleteSession, getSessionVolunteer, verifyResearcher } from "@hiwl/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { SESSION_COOKIE, readCookie, serializeCookie } from "../../cookies.ts";
import { createTRPCRouter, publicProcedure } from "../trpc.ts";

export const authRouter = createTRPCRouter({
  /** Who is signed in, or null. */
  me: publicProcedure.query(async ({ ctx }) => {
    const token = readCookie(ctx.headers, SESSION_COOKIE);
    const user = token ? await getSessionVolunteer(ctx.db, token) : null;
    return user && { id: user.id, username: user.username, displayName: user.displayName, role: user.role };
  }),

  signIn: publicProcedure
    .input(z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      const researcher = await verifyResearcher(ctx.db, input.username, input.password);
      if (!researcher) throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong username or password." });
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
});
