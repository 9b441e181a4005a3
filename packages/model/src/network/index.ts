export * from "./cutout.ts";
export * from "./efficientnet.ts";
export * from "./export.ts";
export * from "./hierarchy.ts";
export * from "./preprocess.ts";
export * from "../random.ts";
export * from "./sampler.ts";
export * from "./targets.ts";
