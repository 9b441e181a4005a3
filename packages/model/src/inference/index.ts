export * from "./model.ts";
export * from "./views.ts";
