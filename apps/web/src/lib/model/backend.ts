import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

/** Where scripts/copy-wasm.mjs puts the WebAssembly binaries at build time. */
const WASM_PATH = "/tfjs/";

export const BACKENDS = ["webgl", "wasm"] as const;
export type Backend = (typeof BACKENDS)[number];

/** The WebGL renderer's name, or null where the browser offers no WebGL. */
function webglRenderer(): string | null {
  const gl = document.createElement("canvas").getContext("webgl2") ?? document.createElement("canvas").getContext("webgl");
  if (!gl) return null;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/**
 * WebGL on a real GPU, WebAssembly otherwise. A software renderer (SwiftShader in headless
 * Chromium and on machines without a GPU driver, Mesa's llvmpipe) ran the networks 6-13x
 * slower than wasm and took 10-16 s to compile its shaders (npm run bench:browser), so it
 * counts as no GPU.
 */
function preferredBackend(): Backend {
  const renderer = webglRenderer();
  return renderer && !/swiftshader|llvmpipe|softpipe|software/i.test(renderer) ? "webgl" : "wasm";
}

let ready: Promise<string> | undefined;

/** Starts TensorFlow.js once per page and returns the backend's name. */
export function initBackend(choice: Backend = preferredBackend()): Promise<string> {
  ready ??= activate(choice).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

async function activate(choice: Backend): Promise<string> {
  // Loaded only where it will be used: wasm pages never download the WebGL kernels.
  if (choice === "webgl") {
    await import("@tensorflow/tfjs-backend-webgl");
    if (await tf.setBackend("webgl")) return tf.getBackend();
  }
  setWasmPaths(WASM_PATH);
  if (!(await tf.setBackend("wasm"))) throw new Error("TensorFlow.js could not start its WebAssembly backend");
  return tf.getBackend();
}
