import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Training runs use both cores (the wasm backend and the image worker): one file at a time.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
