// Worker threads do not inherit the main thread's tsx loader: register it here, then run the
// TypeScript module whose URL is the thread's first argument (the same bootstrap as bin/hiwl.mjs).
import { register } from "tsx/esm/api";

register();
await import(process.argv[2]);
