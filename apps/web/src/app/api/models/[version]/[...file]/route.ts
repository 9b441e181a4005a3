import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { extname, isAbsolute, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { db, storedPath } from "@hiwl/db";
import { route } from "~/server/route.ts";

/** What a model version directory holds: metadata and model.json (JSON), weights (binary). */
const CONTENT_TYPES: Record<string, string> = {
  ".json": "application/json",
  ".bin": "application/octet-stream",
};

const notFound = () => new Response("Not found", { status: 404 });

/** Whether `path` lies below `dir` (both absolute and normalised). */
const isInside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
};

/**
 * Streams one file of a model version's directory to TensorFlow.js in the browser. A version
 * is never rewritten once registered (a new training run makes a new version), so its files
 * may be cached for a year. Only files below the version's directory are served: ".." segments
 * and symbolic links that lead out of it are refused.
 */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ version: string; file: string[] }> }) => {
  const { version, file } = await params;
  const type = CONTENT_TYPES[extname(file.at(-1) ?? "").toLowerCase()];
  if (!type) return notFound();
  const model = await db().modelVersion.findUnique({ where: { version } });
  if (!model) return notFound();
  const dir = await realpath(storedPath(model.path)).catch(() => null);
  if (!dir) return notFound();
  const requested = resolve(dir, ...file);
  if (!isInside(dir, requested)) return notFound();
  const path = await realpath(requested).catch(() => null);
  if (!path || !isInside(dir, path)) return notFound();
  const info = await stat(path);
  if (!info.isFile()) return notFound();
  const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": type,
      "content-length": String(info.size),
      "cache-control": "public, max-age=31536000, immutable",
    },
  });
});
