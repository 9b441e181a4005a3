import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { Readable } from "node:stream";
import { db, storedPath } from "@hiwl/db";
import { route } from "~/server/route.ts";

const CONTENT_TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".gif": "image/gif",
};

const notFound = () => new Response("Not found", { status: 404 });

/**
 * Streams a galaxy's image file: the image alone, nothing about what it shows. Under the URL
 * with the hash of its content (galaxyImageUrl: `?v=<Galaxy.imageHash>`) browsers may keep it
 * for a year; under any other (no hash, an old one, a galaxy stored without one) they must ask
 * again each time, so a rebuilt database, whose ids name other galaxies, never shows a cached
 * image of another galaxy. The hash is also the ETag, so asking again costs a 304.
 */
export const GET = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const raw = (await params).id;
  const id = Number(raw);
  if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(id)) return notFound();
  const galaxy = await db().galaxy.findUnique({ where: { id }, select: { imagePath: true, imageHash: true } });
  if (!galaxy) return notFound();
  const file = storedPath(galaxy.imagePath);
  const type = CONTENT_TYPES[extname(file).toLowerCase()];
  const info = await stat(file).catch(() => null);
  if (!type || !info?.isFile()) return notFound();
  const { imageHash } = galaxy;
  const cacheable = imageHash !== null && new URL(request.url).searchParams.get("v") === imageHash;
  const headers: Record<string, string> = {
    "cache-control": cacheable ? "public, max-age=31536000, immutable" : "no-cache",
    ...(imageHash === null ? {} : { etag: `"${imageHash}"` }),
  };
  if (imageHash !== null && request.headers.get("if-none-match") === `"${imageHash}"`) return new Response(null, { status: 304, headers });
  const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  return new Response(body, { headers: { ...headers, "content-type": type, "content-length": String(info.size) } });
});
