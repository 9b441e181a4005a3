/**
 * Galaxy.imageHash: the SHA-256 of an image file's bytes, computed when the galaxy is stored.
 * Image URLs carry it, so a URL names one image's content and a browser may keep it for good;
 * a rebuilt database, whose ids name other galaxies, gives other URLs.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { chunks } from "./batch.ts";
import type { Db } from "./client.ts";
import { storedPath } from "./paths.ts";

/** A hash as Galaxy.imageHash holds it: 64 lower-case hex digits. */
export const IMAGE_HASH = /^[0-9a-f]{64}$/;

export const imageHash = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** The hash of a stored image path's file, or null when it cannot be read (missing, not a file). */
export async function hashImageFile(imagePath: string, dataDir?: string): Promise<string | null> {
  try {
    return imageHash(await readFile(storedPath(imagePath, dataDir)));
  } catch {
    return null;
  }
}

/**
 * Computes the image hash of galaxies stored without one (before the column existed, or whose
 * file was missing then); a galaxy whose file still cannot be read keeps none. Returns how many
 * were filled in.
 */
export async function backfillImageHashes(db: Db, dataDir?: string): Promise<number> {
  const galaxies = await db.galaxy.findMany({ where: { imageHash: null }, select: { id: true, imagePath: true }, orderBy: { id: "asc" } });
  let filled = 0;
  for (const chunk of chunks(galaxies)) {
    const hashes = await Promise.all(chunk.map(async (g) => ({ id: g.id, hash: await hashImageFile(g.imagePath, dataDir) })));
    const found = hashes.filter((h): h is { id: number; hash: string } => h.hash !== null);
    // One transaction per chunk: one commit for 500 galaxies rather than 500.
    await db.$transaction(found.map((h) => db.galaxy.update({ where: { id: h.id }, data: { imageHash: h.hash } })));
    filled += found.length;
  }
  return filled;
}
