/**
 * The trainer's TensorFlow.js backend: the fastest this machine runs (selectBackend), with the
 * project's training kernels installed first (the wasm backend cannot train without them).
 */
import { install, selectBackend, type BackendChoice, type SelectedBackend } from "@hiwl/tfjs";

export async function startBackend(backend: BackendChoice, log?: (line: string) => void): Promise<SelectedBackend> {
  install();
  return selectBackend({ backend, log });
}
