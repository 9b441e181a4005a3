/**
 * Talk: each galaxy's discussion. A volunteer reads and writes it only once they have
 * classified the galaxy or it has retired (a discussion would give the answer away before),
 * researchers always; researchers hide comments and block volunteers from posting.
 */
import { classifiedAt } from "./classifications.ts";
import type { Db } from "./client.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";

export const COMMENT_MAX_LENGTH = 2000;

export interface TalkComment {
  id: number;
  galaxyId: number;
  volunteerId: string;
  author: string;
  body: string;
  createdAt: Date;
  hidden: boolean;
}

/** Whether this volunteer may see and join the galaxy's discussion. */
export async function canTalk(db: Db, volunteerId: string | null, galaxyId: number, researcher = false): Promise<boolean> {
  const galaxy = await db.galaxy.findUnique({ where: { id: galaxyId }, select: { retiredAt: true } });
  if (!galaxy) throw new NotFoundError(`galaxy ${galaxyId} does not exist`);
  if (researcher || galaxy.retiredAt !== null) return true;
  if (volunteerId === null) return false;
  return (await classifiedAt(db, volunteerId, galaxyId)) !== null;
}

const WITH_AUTHOR = { volunteer: { select: { displayName: true, username: true } } } as const;

function talkComment(c: {
  id: number;
  galaxyId: number;
  volunteerId: string;
  body: string;
  createdAt: Date;
  hiddenAt: Date | null;
  volunteer: { displayName: string | null; username: string | null };
}): TalkComment {
  return {
    id: c.id,
    galaxyId: c.galaxyId,
    volunteerId: c.volunteerId,
    author: c.volunteer.displayName ?? c.volunteer.username ?? "A volunteer",
    body: c.body,
    createdAt: c.createdAt,
    hidden: c.hiddenAt !== null,
  };
}

/** The galaxy's comments, oldest first; hidden ones for researchers only. */
export async function listComments(db: Db, galaxyId: number, options: { includeHidden: boolean }): Promise<TalkComment[]> {
  const rows = await db.comment.findMany({
    where: { galaxyId, ...(!options.includeHidden && { hiddenAt: null }) },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    include: WITH_AUTHOR,
  });
  return rows.map(talkComment);
}

/**
 * Posts a comment (plain text, trimmed, 1 to COMMENT_MAX_LENGTH characters, no control
 * characters) with its hashtags. Refused for a blocked volunteer or one who may not talk here.
 */
export async function postComment(
  db: Db,
  input: { volunteerId: string; galaxyId: number; body: string; tags: readonly string[] },
): Promise<TalkComment> {
  const body = input.body.trim();
  if (body.length === 0 || body.length > COMMENT_MAX_LENGTH) {
    throw new InvalidInputError(`a comment has 1 to ${COMMENT_MAX_LENGTH} characters, this one ${body.length}`);
  }
  // Tabs and newlines are text; other control and format characters could disguise a comment.
  if (/[\p{Cc}\p{Cf}]/u.test(body.replace(/[\t\n\r]/g, ""))) throw new InvalidInputError("a comment cannot hold control characters");
  const volunteer = await db.volunteer.findUnique({ where: { id: input.volunteerId }, select: { blockedAt: true } });
  if (!volunteer) throw new NotFoundError(`volunteer ${input.volunteerId} does not exist`);
  if (volunteer.blockedAt !== null) throw new ConflictError("you can no longer post in Talk");
  if (!(await canTalk(db, input.volunteerId, input.galaxyId))) {
    throw new ConflictError(`classify galaxy ${input.galaxyId} first: its discussion opens once you have`);
  }
  const comment = await db.comment.create({
    data: { galaxyId: input.galaxyId, volunteerId: input.volunteerId, body, tags: { create: input.tags.map((tag) => ({ tag })) } },
    include: WITH_AUTHOR,
  });
  return talkComment(comment);
}

export async function setCommentHidden(db: Db, commentId: number, hidden: boolean): Promise<void> {
  const { count } = await db.comment.updateMany({ where: { id: commentId }, data: { hiddenAt: hidden ? new Date() : null } });
  if (count === 0) throw new NotFoundError(`comment ${commentId} does not exist`);
}

export async function setVolunteerBlocked(db: Db, volunteerId: string, blocked: boolean): Promise<void> {
  const { count } = await db.volunteer.updateMany({ where: { id: volunteerId }, data: { blockedAt: blocked ? new Date() : null } });
  if (count === 0) throw new NotFoundError(`volunteer ${volunteerId} does not exist`);
}

/**
 * The galaxies whose visible comments carry the tag, most recently tagged first, that this
 * viewer may see the discussion of (retired, classified by them, or any for researchers).
 */
export async function galaxiesTagged(
  db: Db,
  tag: string,
  viewer: { volunteerId: string | null; researcher: boolean },
): Promise<Array<{ galaxyId: number; imageHash: string | null }>> {
  const rows = await db.comment.findMany({
    where: {
      hiddenAt: null,
      tags: { some: { tag: tag.toLowerCase() } },
      ...(!viewer.researcher && {
        galaxy: {
          OR: [
            { retiredAt: { not: null } },
            ...(viewer.volunteerId === null ? [] : [{ classifications: { some: { volunteerId: viewer.volunteerId } } }]),
          ],
        },
      }),
    },
    orderBy: { createdAt: "desc" },
    select: { galaxyId: true, galaxy: { select: { imageHash: true } } },
  });
  const seen = new Map<number, string | null>();
  for (const r of rows) if (!seen.has(r.galaxyId)) seen.set(r.galaxyId, r.galaxy.imageHash);
  return [...seen].map(([galaxyId, imageHash]) => ({ galaxyId, imageHash }));
}
