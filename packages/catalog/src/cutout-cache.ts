/**
 * Training reads galaxies from a cache of decoded, downscaled cutouts instead of decoding
 * JPEGs every epoch: one raw RGB file per galaxy under $HIWL_DATA_DIR/cache/cutouts-<side>/.
 * The whole cutout is kept (not just the crop) because training rotates it and a rotated crop
 * reaches beyond the crop's square; the side is just large enough that the smallest crop
 * still covers the network input at full resolution. The resampling is @hiwl/model's toCutout,
 * the same code the browser runs on the image it shows, so both feed the network the same bytes.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { dataDir, storedPath } from "@hiwl/db";
import { toCutout } from "@hiwl/model/network";
import { mapLimited } from "./images.ts";

export interface CachedGalaxy {
  readonly id: number;
  readonly imagePath: string;
}

/** Named for the resampling too: caches made by an earlier resampling are not reused. */
const cacheDir = (root: string, side: number) => join(root, "cache", `cutouts-area-${side}`);

function cacheFile(root: string, side: number, galaxyId: number): string {
  return join(cacheDir(root, side), `${galaxyId}.rgb`);
}

/**
 * Makes sure every galaxy has a cached cutout of this side, decoding only the missing ones.
 * Writes go through a temporary name, so an interrupted run never leaves a truncated file.
 */
export async function buildCutoutCache(
  galaxies: readonly CachedGalaxy[],
  side: number,
  onProgress?: (done: number, total: number) => void,
  root = dataDir(),
): Promise<void> {
  await mkdir(cacheDir(root, side), { recursive: true });
  const missing = galaxies.filter((g) => !existsSync(cacheFile(root, side, g.id)));
  const results = await mapLimited(
    missing,
    async (g) => {
      const source = storedPath(g.imagePath, root);
      const { data, info } = await sharp(source).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixels = toCutout({ width: info.width, height: info.height, channels: 3, data }, side);
      const file = cacheFile(root, side, g.id);
      await writeFile(`${file}.tmp`, pixels);
      await rename(`${file}.tmp`, file);
    },
    onProgress,
  );
  const failed = results.flatMap((r, i) => (r.ok ? [] : [`galaxy ${missing[i]!.id} (${missing[i]!.imagePath}): ${r.error.message}`]));
  if (failed.length) throw new Error(`could not decode ${failed.length} image(s):\n  ${failed.slice(0, 10).join("\n  ")}`);
}

/** Loads cached cutouts into one contiguous [N, side, side, 3] byte array. */
export async function loadCutouts(galaxyIds: readonly number[], side: number, root = dataDir()): Promise<Uint8Array> {
  const size = side * side * 3;
  const out = new Uint8Array(galaxyIds.length * size);
  await mapLimited(galaxyIds, async (id, i) => {
    const bytes = await readFile(cacheFile(root, side, id));
    if (bytes.length !== size) throw new Error(`cached cutout of galaxy ${id} has ${bytes.length} bytes, expected ${size}`);
    out.set(bytes, i * size);
  }).then((results) => {
    const bad = results.find((r) => !r.ok);
    if (bad && !bad.ok) throw bad.error;
  });
  return out;
}
