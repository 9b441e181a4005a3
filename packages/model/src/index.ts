export * from "./decision-tree.ts";
export * from "./vote-fractions.ts";
export * from "./classes.ts";
export * from "./label-smoothing.ts";
export * from "./metrics.ts";
export * from "./random.ts";
export * from "./acquisition.ts";
export * from "./retirement.ts";
