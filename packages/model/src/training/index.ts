// Training pieces shared by the trainer and any other tfjs code (the browser could fine-tune with them).
export * from "./class-sets.ts";
export * from "./optimizer.ts";
export * from "./render.ts";
export * from "./split.ts";
export * from "./step.ts";
