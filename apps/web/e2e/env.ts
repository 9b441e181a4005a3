import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, createSession } from "@hiwl/db";
import type { BrowserContext, Page } from "@playwright/test";

/** The monorepo root (apps/web/e2e -> ../../..). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Real SDSS images next to the repository (read-only). */
export const GZ1_DIR = resolve(repoRoot, "../shared/data/gz1");

/**
 * One of the README's pictures (docs/images), taken full-page; written only when asked
 * (HIWL_SCREENSHOTS=1), so that a test run leaves the work tree as it was.
 */
export async function readmeScreenshot(page: Page, name: string): Promise<void> {
  const path = process.env.HIWL_SCREENSHOTS ? resolve(repoRoot, "docs/images", name) : undefined;
  if (path) mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
}

export const RESEARCHER = { username: "astro", password: "correct-horse-battery", displayName: "Dr. Astro" };

/** Set once by playwright.config.ts and inherited by every worker. */
export function dataDir(): string {
  const dir = process.env.HIWL_E2E_DATA_DIR;
  if (!dir) throw new Error("HIWL_E2E_DATA_DIR is not set: run the tests through playwright.config.ts");
  return dir;
}

/** The test database, the one the server under test uses. */
export const testDb = () => createDb({ dataDir: dataDir() });

/** Signs the browser context in as the test researcher (a session made in the database). */
export async function signInAsResearcher(context: BrowserContext, baseURL: string): Promise<void> {
  const db = testDb();
  try {
    const researcher = await db.volunteer.findUniqueOrThrow({ where: { username: RESEARCHER.username } });
    const { token } = await createSession(db, researcher.id);
    await context.addCookies([{ name: "hiwl_session", value: token, url: baseURL, httpOnly: true, sameSite: "Lax" }]);
  } finally {
    await db.$disconnect();
  }
}

/** The volunteer id this browser was given (the identity cookie); fails the test without one. */
export async function volunteerIdOf(context: BrowserContext): Promise<string> {
  const id = (await context.cookies()).find((c) => c.name === "hiwl_volunteer")?.value;
  if (!id) throw new Error("this browser has no volunteer identity yet");
  return id;
}
