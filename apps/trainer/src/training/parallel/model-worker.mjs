// Worker threads do not inherit the main thread's tsx loader: register it here, then run the
// TypeScript worker (the same bootstrap as bin/hiwl.mjs).
import { register } from "tsx/esm/api";

register();
await import("./model-worker.ts");
