import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, isAbsolute, resolve } from "node:path";
import { Readable } from "node:stream";
import { dataDir, db, getGalaxy } from "@hiwl/db";

const CONTENT_TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".gif": "image/gif",
};

const notFound = () => new Response("Not found", { status: 404 });

/** Streams a galaxy's image file. A galaxy's image never changes, so browsers may keep it for a year. */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id <= 0) return notFound();
  const galaxy = await getGalaxy(db(), id);
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
}
