/**
 * Copies TensorFlow.js's WebAssembly binaries into public/tfjs/, where the page's
 * setWasmPaths points: the bundler does not emit them, and fetching them from a CDN would
 * tie the site to one. Runs before every build and dev server (npm's pre-scripts).
 */
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
const target = fileURLToPath(new URL("../public/tfjs/", import.meta.url));
const files = (await readdir(dist)).filter((f) => f.endsWith(".wasm"));
if (files.length === 0) throw new Error(`no .wasm files in ${dist}`);
await mkdir(target, { recursive: true });
await Promise.all(files.map((f) => copyFile(join(dist, f), join(target, f))));
console.log(`copied ${files.join(", ")} to public/tfjs/`);
