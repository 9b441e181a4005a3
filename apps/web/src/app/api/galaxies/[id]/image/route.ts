import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, isAbsolute, resolve } from "node:path";
import { Readable } from "node:stream";
import { dataDir, db } from "@hiwl/db";
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
 * Streams a galaxy's image file: the image alone, nothing about what it shows. A galaxy's
 * image never changes, so browsers may keep it for a year.
 */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const raw = (await params).id;
  const id = Number(raw);
  if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(id)) return notFound();
  const galaxy = await db().galaxy.findUnique({ where: { id }, select: { imagePath: true } });
  if (!galaxy) return notFound();
  const file = isAbsolute(galaxy.imagePath) ? galaxy.imagePath : resolve(dataDir(), galaxy.imagePath);
  const type = CONTENT_TYPES[extname(file).toLowerCase()];
  const info = await stat(file).catch(() => null);
  if (!type || !info?.isFile()) return notFound();
  const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": type,
      "content-length": String(info.size),
      "cache-control": "public, max-age=31536000, immutable",
    },
  });
});
