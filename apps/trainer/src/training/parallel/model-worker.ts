/**
 * One copy of a model for parallel inference (model-pool.ts), on a worker thread with a wasm
 * backend of its own: the model API's own classify() and sample() on its share of a batch.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Level } from "@hiwl/model";
import { createModel } from "@hiwl/model/inference";
import { loadModelFromFiles, type Networks } from "@hiwl/model/network";
import { startBackend } from "../backend.ts";
import type { FromModel, ModelData, ToModel } from "./messages.ts";

const port = parentPort!;
const post = (message: FromModel) => port.postMessage(message);
const { shape, networks: files } = workerData as ModelData;

await startBackend("wasm");
const networks: Networks = {};
for (const [level, network] of Object.entries(files)) networks[level as Level] = await loadModelFromFiles(network);
const model = createModel(shape, networks);

let queue = Promise.resolve();
port.on("message", (message: ToModel) => {
  queue = queue.then(async () => {
    try {
      if (message.type === "classify") post({ type: "classified", classification: await model.classify(message.images, { embed: message.embed }) });
      else post({ type: "sampled", runs: await model.sample(message.images, message.passes) });
    } catch (error) {
      post({ type: "error", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
});
post({ type: "ready" });
