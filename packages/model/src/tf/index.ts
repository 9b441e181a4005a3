// Browser-safe TensorFlow.js pieces; the Node-only backend selection is "@hiwl/model/node".
export * from "./wasm-gradients.ts";
// registerWasmGradientKernels() registers these too; exported for benchmarks and comparisons.
export { registerWasmFastKernels, unregisterWasmFastKernels } from "./wasm-fast-kernels.ts";
export { setWasmSimdKernelsEnabled } from "./wasm-simd-kernels.ts";
