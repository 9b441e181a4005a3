import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Files share the 2 cores with sharp's threads; run them one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
