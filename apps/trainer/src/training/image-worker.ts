/**
 * The image worker (see image-pipeline.ts): renders network inputs on its own thread.
 */
import { parentPort } from "node:worker_threads";
import { renderCutouts, useCpuForRendering } from "@hiwl/model/training";
import type { RenderRequest, WorkerMessage } from "./image-pipeline.ts";

const port = parentPort!;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

await useCpuForRendering();

port.on("message", ({ id, pixels, count, side, inputSize, augmentation }: RenderRequest) => {
  try {
    const images = renderCutouts(pixels, count, side, inputSize, augmentation);
    post({ id, images }, [images.buffer as ArrayBuffer]);
  } catch (error) {
    post({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
post({ ready: true });
