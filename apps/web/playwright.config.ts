import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests against the production build (`next build` first; turbo does it). The
 * server reads a throwaway data directory that global-setup.ts fills.
 *
 * This file is evaluated in the runner and again in every worker; the data directory and
 * port are chosen once, in the runner, and reach the workers through the environment.
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

process.env.HIWL_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), "hiwl-e2e-"));
process.env.HIWL_E2E_PORT ??= String(await freePort());
const baseURL = `http://127.0.0.1:${process.env.HIWL_E2E_PORT}`;

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  // One server, one database: the tests count rows, so they run one at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : "list",
  use: {
    baseURL,
    browserName: "chromium",
    viewport: { width: 1280, height: 860 },
    colorScheme: "dark",
    // Volunteers who have seen the tutorial, as most are; tutorial.spec.ts starts without it.
    storageState: { cookies: [], origins: [{ origin: baseURL, localStorage: [{ name: "hiwl.tutorial.seen", value: "1" }] }] },
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's chromium: Playwright's own browser downloads are not reachable here.
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: {
    // The production server (server.mjs: Next's handler, client addresses from the socket).
    command: "node server.mjs",
    // Does not touch the database, which global setup may still be preparing.
    url: `${baseURL}/signin`,
    reuseExistingServer: false,
    timeout: 60_000,
    // Its stdout reaches the test report, so its request log stays off (operations.spec.ts tests
    // the log on a server of its own).
    env: { HIWL_DATA_DIR: process.env.HIWL_E2E_DATA_DIR, PORT: process.env.HIWL_E2E_PORT, HIWL_REQUEST_LOG: "off" },
    stdout: "pipe",
  },
});
