import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb } from "@hiwl/db";

/** The monorepo root (apps/web/e2e -> ../../..). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Real SDSS images next to the repository (read-only). */
export const GZ1_DIR = resolve(repoRoot, "../shared/data/gz1");

export const screenshotPath = (name: string) => resolve(repoRoot, "docs/images", name);

export const RESEARCHER = { username: "astro", password: "correct-horse-battery", displayName: "Dr. Astro" };

/** Set once by playwright.config.ts and inherited by every worker. */
export function dataDir(): string {
  const dir = process.env.HIWL_E2E_DATA_DIR;
  if (!dir) throw new Error("HIWL_E2E_DATA_DIR is not set: run the tests through playwright.config.ts");
  return dir;
}

/** The test database, the one the server under test uses. */
export const testDb = () => createDb({ dataDir: dataDir() });
