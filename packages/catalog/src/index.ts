export * from "./images.ts";
export * from "./import/import-error.ts";
export * from "./import/commit.ts";
export * from "./import/kaggle.ts";
export * from "./import/folder-catalog.ts";
export * from "./import/gold.ts";
export * from "./seed-synthetic.ts";
export * as synthetic from "./synthetic/index.ts";
export * from "./cutout-cache.ts";
