export * from "./combine.ts";
export * from "./cutout.ts";
export * from "./efficientnet.ts";
export * from "./export.ts";
export * from "./preprocess.ts";
