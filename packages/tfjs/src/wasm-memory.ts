/**
 * Tensor values copied straight out of the wasm backend's heap. dataSync() on wasm returns a
 * copy of the heap bytes, so copying a tensor into another array through it copies twice; the
 * data-parallel trainer copies every gradient (16 MB for B0) into shared memory each step.
 */
import * as tf from "@tensorflow/tfjs-core";

interface WasmBackendLike {
  wasm?: { HEAPU8?: Uint8Array };
  dataIdMap?: { get(dataId: object): { memoryOffset: number } | undefined };
}

/** Copies the float32 tensor `t`'s values into `target` from `offset` (one copy on wasm). */
export function copyFloats(t: tf.Tensor, target: Float32Array, offset: number): void {
  if (t.dtype !== "float32") throw new Error(`copyFloats takes float32 tensors, got ${t.dtype}`);
  const backend = tf.engine().backend as unknown as WasmBackendLike;
  const heap = tf.getBackend() === "wasm" ? backend.wasm?.HEAPU8 : undefined;
  const data = heap === undefined ? undefined : backend.dataIdMap?.get(t.dataId);
  if (heap === undefined || data === undefined) {
    target.set(t.dataSync(), offset);
    return;
  }
  // HEAPU8 is re-created when the heap grows: read it only now, with nothing allocated after.
  target.set(new Float32Array(heap.buffer, data.memoryOffset, t.size), offset);
}
