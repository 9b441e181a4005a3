/**
 * The project's TensorFlow.js machinery, apart from the science that uses it: the Node backend
 * selection, and for training on the wasm backend the gradient kernels tfjs 4.22 lacks, faster
 * kernels (hand-written WebAssembly SIMD among them) and patched tfjs-layers layers and
 * optimizers. Importing this package registers nothing: install() does, once, explicitly.
 */
export { selectBackend, type BackendChoice, type BackendName, type SelectedBackend } from "./backend.ts";
export { registerWasmGradientKernels as install } from "./wasm-gradients.ts";
export { copyFloats } from "./wasm-memory.ts";
// For benchmarks and comparisons against tfjs's own kernels.
export { profileStep, type StepProfile } from "./profile.ts";
export { registerWasmFastKernels, unregisterWasmFastKernels } from "./wasm-fast-kernels.ts";
export { setWasmSimdKernelsEnabled } from "./wasm-simd-kernels.ts";
export { uninstallWebgpuKernels } from "./webgpu-kernels.ts";
