/**
 * Network inputs are rendered on a worker thread: the wasm backend trains on one core, and the
 * worker prepares the next batch (augmentBatch on the cpu backend) on the other while the
 * current one trains. Requests carry their own pixels and the result comes back as a
 * transferred Float32Array, so the worker holds no state and a batch costs no copy on return.
 */
import type { Worker } from "node:worker_threads";
import type { Augmentation } from "@hiwl/model/training";
import { startThread } from "./thread.ts";

export interface RenderRequest {
  id: number;
  /** count x side x side x 3 bytes. */
  pixels: Uint8Array;
  count: number;
  side: number;
  inputSize: number;
  /** The random views' seed and rotations; null renders the test view. */
  augmentation: Augmentation | null;
}

export type WorkerMessage = { ready: true } | { id: number; images: Float32Array } | { id: number; error: string };

interface Pending {
  resolve: (images: Float32Array) => void;
  reject: (error: Error) => void;
}

/** Cutouts held by the main thread: `count` images of side x side x 3 bytes. */
export interface Cutouts {
  pixels: Uint8Array;
  side: number;
}

export class ImagePipeline {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (message: WorkerMessage) => {
      if ("ready" in message) return;
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ("error" in message) request?.reject(new Error(`image worker: ${message.error}`));
      else request?.resolve(message.images);
    });
    worker.on("error", (error) => this.fail(new Error(`image worker crashed: ${error.message}`, { cause: error })));
    worker.on("exit", (code) => this.fail(new Error(`image worker exited (code ${code})`)));
  }

  /** Starts the worker and waits until it is ready, so that a broken worker fails here. */
  static async start(): Promise<ImagePipeline> {
    const worker = startThread(new URL("./image-worker.ts", import.meta.url));
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        if (error) reject(error);
        else resolve();
      };
      const onMessage = (message: WorkerMessage) => {
        if ("ready" in message) settle();
      };
      const onError = (error: Error) => settle(new Error(`image worker failed to start: ${error.message}`, { cause: error }));
      const onExit = (code: number) => settle(new Error(`image worker exited while starting (code ${code})`));
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    });
    return new ImagePipeline(worker);
  }

  /**
   * Renders the cutouts at `indices` as [indices.length, inputSize, inputSize, 3] normalised
   * pixels: augmented views, or the test view when `augmentation` is null. The returned
   * promise always has a handler attached, so a prefetched batch that is never awaited (the
   * step before it failed) cannot end the process as an unhandled rejection.
   */
  render(cutouts: Cutouts, indices: readonly number[], inputSize: number, augmentation: Augmentation | null): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const size = cutouts.side * cutouts.side * 3;
    const pixels = new Uint8Array(indices.length * size);
    indices.forEach((index, i) => pixels.set(cutouts.pixels.subarray(index * size, (index + 1) * size), i * size));
    const id = this.nextId++;
    const result = new Promise<Float32Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const request: RenderRequest = { id, pixels, count: indices.length, side: cutouts.side, inputSize, augmentation };
    this.worker.postMessage(request, [pixels.buffer]);
    result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    this.failure ??= new Error("image worker closed");
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const request of this.pending.values()) request.reject(this.failure);
    this.pending.clear();
  }
}
