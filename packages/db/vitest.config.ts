import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Each file migrates its own database; one file at a time keeps a 2-core machine usable
    // and the timing test honest.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Every test on both databases (PostgreSQL: the server `npm test` starts, see
    // src/testing.ts); a test that only one of them needs says so with describe.runIf.
    projects: ["sqlite", "postgresql"].map((database) => ({
      extends: true,
      test: { name: database, env: { HIWL_TEST_DATABASE: database } },
    })),
  },
});
