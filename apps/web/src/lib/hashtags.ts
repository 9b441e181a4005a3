/**
 * Talk's #hashtags: a # then 2 to 30 letters, digits, "-" or "_", after a space or the start.
 * The server stores them (lower-cased) for the hashtag pages; the page links them in the text.
 */
const TAG_CHAR = String.raw`[\p{L}\p{N}_-]`;
const TAG = `${TAG_CHAR}{2,30}`;
const HASHTAG = new RegExp(String.raw`(^|\s)#(${TAG})(?!${TAG_CHAR})`, "gu");

/** The distinct hashtags of a comment, lower-cased, without the #. */
export function hashtagsOf(body: string): string[] {
  return [...new Set([...body.matchAll(HASHTAG)].map((m) => m[2]!.toLowerCase()))];
}

/** The comment as text pieces and hashtags, in order, for rendering (never as HTML). */
export function splitHashtags(body: string): Array<{ text: string } | { tag: string }> {
  const parts: Array<{ text: string } | { tag: string }> = [];
  let at = 0;
  for (const m of body.matchAll(HASHTAG)) {
    const start = m.index + m[1]!.length;
    if (start > at) parts.push({ text: body.slice(at, start) });
    parts.push({ tag: m[2]! });
    at = start + 1 + m[2]!.length;
  }
  if (at < body.length) parts.push({ text: body.slice(at) });
  return parts;
}

export const TAG_PATTERN = new RegExp(`^${TAG}$`, "u");
