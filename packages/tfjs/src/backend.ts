/**
 * Picks the fastest TensorFlow.js backend available in this Node process. The native and GPU
 * backends are optional installs (their install scripts need the internet), so they are
 * loaded with dynamic imports and, when missing, skipped with a reason the CLI can print.
 * Training on wasm also needs install() (index.ts); choosing a backend installs nothing.
 */
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import path from "node:path";

export type BackendName = "tfjs-node-gpu" | "tfjs-node" | "webgpu" | "wasm" | "cpu";
export type BackendChoice = "auto" | BackendName;

export interface SelectBackendOptions {
  backend?: BackendChoice;
  /** Receives one summary line, e.g. "using wasm (tfjs-node-gpu: ...; webgpu: ...)". */
  log?: (line: string) => void;
}

export interface SelectedBackend {
  backend: BackendName;
  /** Why each backend tried before the chosen one was skipped, "name: reason". */
  reasons: string[];
}

/** Every package this module loads by name; all but tfjs-backend-wasm are optional installs. */
const MODULES = {
  tfjsNodeGpu: "@tensorflow/tfjs-node-gpu",
  tfjsNode: "@tensorflow/tfjs-node",
  dawn: "webgpu",
  tfjsWebgpu: "@tensorflow/tfjs-backend-webgpu",
  tfjsWasm: "@tensorflow/tfjs-backend-wasm",
} as const;

/**
 * Fastest first; 'auto' takes the first whose activation succeeds. An activation that fails
 * throws an Error whose message is the skip reason.
 */
const CANDIDATES: ReadonlyArray<{ name: BackendName; activate: () => Promise<void> }> = [
  { name: "tfjs-node-gpu", activate: () => activateTensorflow(MODULES.tfjsNodeGpu) },
  { name: "tfjs-node", activate: () => activateTensorflow(MODULES.tfjsNode) },
  { name: "webgpu", activate: activateWebgpu },
  { name: "wasm", activate: activateWasm },
  { name: "cpu", activate: () => activate("cpu") },
];

export async function selectBackend(options: SelectBackendOptions = {}): Promise<SelectedBackend> {
  const choice = options.backend ?? "auto";
  const reasons: string[] = [];
  for (const candidate of CANDIDATES) {
    if (choice !== "auto" && choice !== candidate.name) continue;
    try {
      await candidate.activate();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (choice !== "auto") {
        throw new Error(`TensorFlow.js backend '${choice}' is unavailable: ${reason}`, { cause: error });
      }
      reasons.push(`${candidate.name}: ${reason}`);
      continue;
    }
    const suffix = reasons.length > 0 ? ` (${reasons.join("; ")})` : "";
    options.log?.(`using ${candidate.name}${suffix}`);
    return { backend: candidate.name, reasons };
  }
  throw new Error(`no TensorFlow.js backend could be started: ${reasons.join("; ")}`);
}

async function importOptional(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(specifier)) {
      throw new Error(`module '${specifier}' not installed`, { cause: error });
    }
    throw new Error(`module '${specifier}' failed to load: ${message}`, { cause: error });
  }
}

async function activate(tfBackendName: string): Promise<void> {
  if (!(await tf.setBackend(tfBackendName))) {
    throw new Error(`TensorFlow.js backend '${tfBackendName}' failed to initialise`);
  }
}

/** tfjs-node and tfjs-node-gpu both register themselves as the 'tensorflow' backend. */
async function activateTensorflow(specifier: string): Promise<void> {
  await importOptional(specifier);
  await activate("tensorflow");
}

interface DawnModule {
  create: (options: string[]) => { requestAdapter: () => Promise<unknown> };
  globals: object;
}

async function activateWebgpu(): Promise<void> {
  const { create, globals } = (await importOptional(MODULES.dawn)) as unknown as DawnModule;
  Object.assign(globalThis, globals);
  const gpu = create([]);
  if ((await gpu.requestAdapter()) == null) throw new Error("no GPU adapter");
  // Node 21+ defines a getter-only navigator; tfjs-backend-webgpu reads navigator.gpu.
  Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  await importOptional(MODULES.tfjsWebgpu);
  await activate("webgpu");
}

async function activateWasm(): Promise<void> {
  // Without an explicit path the wasm binary's location depends on how the bundle was loaded;
  // the copy in node_modules works offline.
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve(`${MODULES.tfjsWasm}/package.json`));
  setWasmPaths(`${path.join(packageDir, "dist")}${path.sep}`);
  await activate("wasm");
}
