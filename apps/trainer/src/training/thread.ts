import { Worker } from "node:worker_threads";

/** A worker thread running the TypeScript module `module` (through thread.mjs, which loads TypeScript there). */
export function startThread(module: URL, workerData?: unknown): Worker {
  return new Worker(new URL("./thread.mjs", import.meta.url), { workerData, argv: [module.href] });
}
