import { extname } from "node:path";
import { db, getGalaxyImage, storedPath } from "@hiwl/db";
import { readImage } from "~/server/image-cache.ts";
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
  const galaxy = await getGalaxyImage(db(), id);
  if (!galaxy) return notFound();
  const file = storedPath(galaxy.imagePath);
  const type = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!type) return notFound();
  const { imageHash } = galaxy;
  const cacheable = imageHash !== null && new URL(request.url).searchParams.get("v") === imageHash;
  const headers: Record<string, string> = {
    "cache-control": cacheable ? "public, max-age=31536000, immutable" : "no-cache",
    ...(imageHash === null ? {} : { etag: `"${imageHash}"` }),
  };
  if (imageHash !== null && request.headers.get("if-none-match") === `"${imageHash}"`) return new Response(null, { status: 304, headers });
  const bytes = await readImage(file, imageHash);
  if (!bytes) return notFound();
  return new Response(bytes, { headers: { ...headers, "content-type": type, "content-length": String(bytes.length) } });
});
