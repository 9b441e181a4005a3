/**
 * Picks the fastest TensorFlow.js backend available in this Node process. The native and GPU
 * backends are optional installs (their install scripts need the internet), so they are
 * loaded with dynamic imports and, when missing, skipped with a reason the CLI can print.
 * Training on wasm also needs install() (index.ts). Choosing webgpu installs the project's
 * WebGPU kernels (webgpu-kernels.ts): they replace tfjs-backend-webgpu's, so only after it loads.
 */
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import path from "node:path";
import { installWebgpuKernels } from "./webgpu-kernels.ts";

export type BackendName = "tfjs-node-gpu" | "tfjs-node" | "webgpu" | "wasm" | "cpu";
export type BackendChoice = "auto" | BackendName;

export interface SelectBackendOptions {
  backend?: BackendChoice;
  /** Receives one summary line, e.g. "using wasm (tfjs-node-gpu: ...; webgpu: ...)". */
  log?: (line: string) => void;
}

export interface SelectedBackend {
  backend: BackendName;
  /** What the backend runs on, where it says (webgpu: the adapter's vendor, architecture and device). */
  device: string | null;
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
 * throws an Error whose message is the skip reason; one that succeeds may say what it runs on.
 * `explicit`: the backend was asked for by name, not picked by 'auto'.
 */
const CANDIDATES: ReadonlyArray<{ name: BackendName; activate: (explicit: boolean) => Promise<string | null> }> = [
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
    let device: string | null;
    try {
      device = await candidate.activate(choice !== "auto");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (choice !== "auto") {
        throw new Error(`TensorFlow.js backend '${choice}' is unavailable: ${reason}`, { cause: error });
      }
      reasons.push(`${candidate.name}: ${reason}`);
      continue;
    }
    const suffix = reasons.length > 0 ? ` (${reasons.join("; ")})` : "";
    options.log?.(`using ${candidate.name}${device === null ? "" : ` on ${device}`}${suffix}`);
    return { backend: candidate.name, device, reasons };
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

async function activate(tfBackendName: string): Promise<null> {
  if (!(await tf.setBackend(tfBackendName))) {
    throw new Error(`TensorFlow.js backend '${tfBackendName}' failed to initialise`);
  }
  return null;
}

/** tfjs-node and tfjs-node-gpu both register themselves as the 'tensorflow' backend. */
async function activateTensorflow(specifier: string): Promise<null> {
  await importOptional(specifier);
  return activate("tensorflow");
}

/** What a WebGPU adapter says of itself (GPUAdapterInfo); empty strings where it says nothing. */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

/**
 * Whether the adapter is a software rasteriser on the CPU: Dawn reports architecture
 * "software" for them, and their names give them away (Mesa's llvmpipe and lavapipe, Google's
 * SwiftShader). Training there ran at 8 images/s where wasm does hundreds (PLATFORM.md).
 */
export function isSoftwareAdapter(info: AdapterInfo): boolean {
  if (info.architecture?.toLowerCase() === "software") return true;
  const names = [info.vendor, info.architecture, info.device, info.description].join(" ").toLowerCase();
  return /llvmpipe|lavapipe|swiftshader/.test(names);
}

/** "vendor architecture (device)", the parts the adapter gives. */
export function describeAdapter(info: AdapterInfo): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(" ") || "unnamed adapter";
  const detail = info.device || info.description;
  return detail ? `${name} (${detail})` : name;
}

interface DawnAdapter {
  info?: AdapterInfo;
}

interface DawnModule {
  create: (options: string[]) => { requestAdapter: () => Promise<DawnAdapter | null | undefined> };
  globals: object;
}

async function activateWebgpu(explicit: boolean): Promise<string> {
  const { create, globals } = (await importOptional(MODULES.dawn)) as unknown as DawnModule;
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (adapter == null) throw new Error("no GPU adapter");
  const info = adapter.info ?? {};
  const device = describeAdapter(info);
  if (!explicit && isSoftwareAdapter(info)) {
    throw new Error(`the only adapter, ${device}, is a software rasteriser, slower than wasm (ask for --backend webgpu to use it anyway)`);
  }
  // Node 21+ defines a getter-only navigator; tfjs-backend-webgpu reads navigator.gpu.
  Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  await importOptional(MODULES.tfjsWebgpu);
  installWebgpuKernels();
  await activate("webgpu");
  return `the adapter ${device}`;
}

async function activateWasm(): Promise<null> {
  // Without an explicit path the wasm binary's location depends on how the bundle was loaded;
  // the copy in node_modules works offline.
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve(`${MODULES.tfjsWasm}/package.json`));
  setWasmPaths(`${path.join(packageDir, "dist")}${path.sep}`);
  return activate("wasm");
}
