// Browser-safe TensorFlow.js pieces; the Node-only backend selection is "@hiwl/model/node".
export * from "./wasm-gradients.ts";
