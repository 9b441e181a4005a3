import { canTalk, COMMENT_MAX_LENGTH, galaxiesTagged, limits, listComments, postComment, setCommentHidden, setVolunteerBlocked, takeToken } from "@hiwl/db";
import { z } from "zod";
import { hashtagsOf, TAG_PATTERN } from "~/lib/hashtags.ts";
import { createTRPCRouter, findVolunteer, isResearcher, publicProcedure, researcherProcedure, tooManyRequests, volunteerProcedure } from "../trpc.ts";

const galaxyId = z.number().int().positive();

export const talkRouter = createTRPCRouter({
  /**
   * A galaxy's discussion: closed (no comments) for a volunteer who has not classified it
   * while it is still being classified; hidden comments for researchers only.
   */
  comments: publicProcedure.input(z.object({ galaxyId })).query(async ({ ctx, input }) => {
    const researcher = await isResearcher(ctx);
    const volunteer = await findVolunteer(ctx);
    if (!(await canTalk(ctx.db, volunteer?.id ?? null, input.galaxyId, researcher))) return { open: false as const, comments: [], researcher };
    const comments = await listComments(ctx.db, input.galaxyId, { includeHidden: researcher });
    // Volunteer ids identify a browser: only researchers (who moderate) see them.
    return { open: true as const, researcher, comments: comments.map(({ volunteerId, ...c }) => ({ ...c, volunteerId: researcher ? volunteerId : null })) };
  }),

  post: volunteerProcedure
    .input(z.object({ galaxyId, body: z.string().max(COMMENT_MAX_LENGTH * 2) }))
    .mutation(async ({ ctx, input }) => {
      const wait = await takeToken(ctx.db, "comments", ctx.volunteer.id, limits().comments);
      if (wait > 0) throw tooManyRequests(ctx, wait, "You are commenting faster than anyone can read");
      const comment = await postComment(ctx.db, { ...input, volunteerId: ctx.volunteer.id, tags: hashtagsOf(input.body) });
      return { ...comment, volunteerId: null };
    }),

  /** Galaxies whose discussion carries the tag, among those this viewer may see the discussion of. */
  tagged: publicProcedure.input(z.object({ tag: z.string().regex(TAG_PATTERN) })).query(async ({ ctx, input }) => {
    const volunteer = await findVolunteer(ctx);
    return galaxiesTagged(ctx.db, input.tag, { volunteerId: volunteer?.id ?? null, researcher: await isResearcher(ctx) });
  }),

  hide: researcherProcedure.input(z.object({ commentId: z.number().int().positive(), hidden: z.boolean() })).mutation(async ({ ctx, input }) => {
    await setCommentHidden(ctx.db, input.commentId, input.hidden);
    return input;
  }),

  block: researcherProcedure.input(z.object({ volunteerId: z.string().min(1).max(64), blocked: z.boolean() })).mutation(async ({ ctx, input }) => {
    await setVolunteerBlocked(ctx.db, input.volunteerId, input.blocked);
    return input;
  }),
});
