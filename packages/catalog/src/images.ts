/**
 * Galaxy images on disk under $HIWL_DATA_DIR/images/<source>/, one JPEG each: the one the site
 * shows and the trainer reads. sharp decodes every image once here, so a missing or corrupt
 * file is caught at import, not when a volunteer gets it.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import sharp from "sharp";
import { dataDir } from "@hiwl/db";

export interface StoredImage {
  /** Path relative to the data directory, as stored in Galaxy.imagePath. */
  readonly imagePath: string;
  readonly width: number;
  readonly height: number;
}

export function imageDir(source: string, root = dataDir()): string {
  return join(root, "images", source.replace(/[^A-Za-z0-9._-]+/g, "_"));
}

/** Copies an image into the data directory (PNG converted to JPEG). Throws on a bad image. */
export async function storeImage(src: string, source: string, id: string, root = dataDir()): Promise<StoredImage> {
  const dir = imageDir(source, root);
  await mkdir(dir, { recursive: true });
  const dest = join(dir, `${id}.jpg`);
  const image = sharp(src, { failOn: "error" });
  const { width, height, format } = await image.metadata();
  if (format !== "jpeg" && format !== "png") throw new Error(`unsupported image format ${format}`);
  // stats() decodes every pixel: a truncated JPEG fails here, not in a volunteer's browser.
  if (format === "jpeg") await image.stats().then(() => copyFile(src, dest));
  else await sharp(src).jpeg({ quality: 92 }).toFile(dest);
  return { imagePath: relative(root, dest), width: width ?? 0, height: height ?? 0 };
}

/** Writes a raw RGB image (the synthetic renderer's output) as JPEG. */
export async function storeRgb(rgb: Uint8Array | Uint8ClampedArray, size: number, source: string, id: string, root = dataDir()): Promise<StoredImage> {
  const dir = imageDir(source, root);
  await mkdir(dir, { recursive: true });
  const dest = join(dir, `${id}.jpg`);
  const raw = { raw: { width: size, height: size, channels: 3 as const } };
  await sharp(rgb, raw).jpeg({ quality: 92 }).toFile(dest);
  return { imagePath: relative(root, dest), width: size, height: size };
}

/**
 * Runs `work` over `items` with bounded concurrency (sharp works on libuv's thread pool),
 * collecting per-item failures instead of stopping at the first.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
  onProgress?: (done: number, total: number) => void,
  concurrency = Math.max(2, availableParallelism() * 2),
): Promise<Array<{ ok: true; value: R } | { ok: false; error: Error }>> {
  const results = new Array<{ ok: true; value: R } | { ok: false; error: Error }>(items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await work(items[i]!, i) };
      } catch (err) {
        results[i] = { ok: false, error: err as Error };
      }
      onProgress?.(++done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
