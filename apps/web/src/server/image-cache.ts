import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** What the cache holds at most. */
const BUDGET_BYTES = 64 * 1024 * 1024;

type Image = Uint8Array<ArrayBuffer>;

/**
 * Galaxy images recently served or about to be, by content hash and file (an image under a
 * hash never changes), least recently used dropped first. A read from disk costs a busy
 * server several turns of its event loop (open, stat, read, close on libuv's threads): under
 * `npm run bench:load` it made the image the slowest request by far (p50 135 ms against 30 ms
 * for the tRPC calls). So the server reads each galaxy's image when it hands the galaxy out
 * (warmImage), and the request for it that follows finds it here, read or being read.
 */
const cache = new Map<string, { image: Promise<Image | null>; bytes?: number }>();
let cachedBytes = 0;

/** `sync`: one blocking read instead of several turns of the event loop (see warmImage). */
async function read(file: string, sync = false): Promise<Image | null> {
  try {
    // A file read allocates its own ArrayBuffer (never a shared one).
    return (sync ? readFileSync(file) : await readFile(file)) as Image;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EISDIR") return null;
    throw e;
  }
}

/** Kept: its size counts once read; past the budget the least recently used go. */
function remember(key: string, image: Promise<Image | null>): void {
  const entry: { image: Promise<Image | null>; bytes?: number } = { image };
  cache.set(key, entry);
  image.then(
    (bytes) => {
      if (cache.get(key) !== entry) return;
      if (!bytes || bytes.length > BUDGET_BYTES / 16) return void cache.delete(key);
      entry.bytes = bytes.length;
      cachedBytes += bytes.length;
      for (const [oldest, { bytes: size }] of cache) {
        if (cachedBytes <= BUDGET_BYTES) break;
        cachedBytes -= size ?? 0;
        cache.delete(oldest);
      }
    },
    () => cache.get(key) === entry && cache.delete(key),
  );
}

function cached(file: string, hash: string, sync: boolean): Promise<Image | null> {
  const key = `${hash}\0${file}`;
  const entry = cache.get(key);
  if (entry) {
    cache.delete(key);
    cache.set(key, entry); // most recently used last
    return entry.image;
  }
  const reading = read(file, sync);
  remember(key, reading);
  return reading;
}

/**
 * The bytes of an image file, or null when it is not there. `hash` is the galaxy's imageHash:
 * without one the file is read every time (nothing says it did not change).
 */
export function readImage(file: string, hash: string | null): Promise<Image | null> {
  return hash === null ? read(file) : cached(file, hash, false);
}

/**
 * Reads the image of a galaxy just handed out, which its page asks for next. Synchronously:
 * a galaxy image is tens of kilobytes, mostly in the OS's page cache, read in tens of
 * microseconds, while an asynchronous read needed several turns of the busy event loop and
 * arrived after the request for it (bench:load: image p95 200 ms against 130 ms for votes).
 */
export function warmImage(file: string, hash: string | null): void {
  if (hash !== null) cached(file, hash, true).catch(() => {}); // its request reports any failure
}
