/**
 * The tensors a gradient needs, saved without a kernel. tfjs-core's engine saves each one (for
 * kernels and for custom-gradient ops alike) with its clone(): an Identity kernel run, plus a
 * tape node for the clone, per saved tensor (about 1,300 in one B0 training step: a third of
 * its kernels and of the tape that every gradient call then filters and walks). A saved tensor
 * only has to keep its data alive past the forward pass, which another Tensor on the same data
 * does: the backend counts references to its data
 * (wasm's own Identity shares it the same way), and a variable assigned later points to new
 * data while the saved tensor keeps the old. The clone's tape node only mattered for
 * differentiating through a gradient function, which nothing here does.
 */
import * as tf from "@tensorflow/tfjs-core";

interface EngineLike {
  /** tfjs-core calls it for exactly this: saving a tensor for the backward pass. */
  clone: (this: EngineLike, x: tf.Tensor) => tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: tf.KernelBackend): tf.Tensor;
  state: { tensorInfo: { get(dataId: object): { backend: tf.KernelBackend } | undefined } };
}

let original: EngineLike["clone"] | undefined;

/** Installs the kernel-free saves on tfjs-core's engine (idempotent). */
export function installTapeSaves(): void {
  if (original !== undefined) return;
  const engine = tf.engine() as unknown as EngineLike;
  const stock = engine.clone;
  original = stock;
  engine.clone = function (x) {
    const backend = this.state.tensorInfo.get(x.dataId)?.backend;
    if (backend === undefined || typeof backend.incRef !== "function") return stock.call(this, x);
    backend.incRef(x.dataId);
    return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, backend);
  };
}

/** Restores the engine's own saves. */
export function uninstallTapeSaves(): void {
  if (original === undefined) return;
  (tf.engine() as unknown as EngineLike).clone = original;
  original = undefined;
}
