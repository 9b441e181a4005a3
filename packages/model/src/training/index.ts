// Training pieces shared by the trainer and any other tfjs code (the browser could fine-tune with them).
export * from "./averaging.ts";
export * from "./optimizer.ts";
export * from "./render.ts";
export * from "./sampler.ts";
export * from "./split.ts";
export * from "./step.ts";
export * from "./contrastive.ts";
