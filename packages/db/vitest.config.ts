import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Each file migrates its own SQLite database; one file at a time keeps a 2-core machine
    // usable and the timing test honest.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
