/**
 * WebAssembly relaxed SIMD, whose fused multiply-add the kernels' fma build uses, is behind
 * --experimental-wasm-relaxed-simd in Node 20 (V8 11.3; it ships enabled from V8 11.4, Node 22).
 * V8's flags are process-wide, worker threads included, and a wasm feature flag applies to
 * modules compiled after it is set (the kernels compile on first use), so install() calls this.
 * Browsers that have relaxed SIMD have it on; where the flag is unknown or ineffective, the
 * plain build loads (wasm-simd-kernels.ts validates the fma build itself).
 */
// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const PROBE = Uint8Array.from([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2,
  253, 133, 2, 11,
]);

export function enableRelaxedSimd(): void {
  if (!WebAssembly.validate(PROBE)) {
    globalThis.process?.getBuiltinModule?.("node:v8")?.setFlagsFromString("--experimental-wasm-relaxed-simd");
  }
}
