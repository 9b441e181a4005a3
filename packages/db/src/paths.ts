import { mkdirSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

/**
 * The data directory (database, images, models). Relative values are resolved from the
 * directory the user ran the command in (npm sets INIT_CWD when it runs a workspace script
 * from elsewhere), so `HIWL_DATA_DIR=./data npm start` and `hiwl ...` agree.
 */
export function dataDir(): string {
  const base = process.env.INIT_CWD ?? process.cwd();
  const dir = process.env.HIWL_DATA_DIR ?? "./data";
  return isAbsolute(dir) ? dir : resolve(base, dir);
}

export function ensureDataDir(): string {
  const dir = dataDir();
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function databasePath(dir: string = dataDir()): string {
  return join(dir, "hiwl.db");
}

export function databaseUrl(dir: string = dataDir()): string {
  return `file:${databasePath(dir)}`;
}

/**
 * A path the database stores (Galaxy.imagePath, ModelVersion.path): absolute, or relative to
 * the data directory, so that a data directory can be moved.
 */
export function storedPath(path: string, dir: string = dataDir()): string {
  return resolve(dir, path);
}

/**
 * What to store for a file or folder: relative to the data directory when it lies inside it,
 * so that the data directory can be moved, restored elsewhere or mounted at another path on
 * another machine; absolute otherwise.
 */
export function pathToStore(path: string, dir: string = dataDir()): string {
  const inside = relative(resolve(dir), resolve(path));
  const outside = inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  return outside ? resolve(path) : inside;
}
