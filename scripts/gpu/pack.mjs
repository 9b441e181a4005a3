#!/usr/bin/env node
// Packs `hiwl bench train` for a bare GPU machine (no Node, no npm, no network; see
// docs/gpu.md): one bundled script plus the pruned runtime packages it loads by name,
// as .gpu/app.tar.xz, this machine's Node as .gpu/node.xz, and the Vulkan/GL loader
// libraries as .deb files in .gpu/debs. scripts/gpu/run.sh unpacks and runs it there.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const app = join(root, ".gpu/app");
rmSync(app, { recursive: true, force: true });

// Loaded by name at run time (backend selection imports them lazily), so they stay outside the
// bundle and must be one copy each: tfjs backends register into the tfjs-core they import.
const RUNTIME = {
  "@tensorflow/tfjs-core": ["package.json", "dist/tf-core.node.js"],
  "@tensorflow/tfjs-layers": ["package.json", "dist/tf-layers.node.js"],
  "@tensorflow/tfjs-backend-cpu": ["package.json", "dist/tf-backend-cpu.node.js"],
  "@tensorflow/tfjs-backend-wasm": ["package.json", "dist/tf-backend-wasm.node.js", "dist/tfjs-backend-wasm.wasm", "dist/tfjs-backend-wasm-simd.wasm"],
  "@tensorflow/tfjs-backend-webgpu": ["package.json", "dist/tf-backend-webgpu.node.js"],
  webgpu: ["package.json", "index.js", "dist/linux-x64/dawn.node"],
  seedrandom: ["package.json", "index.js", "seedrandom.js", "lib"],
  long: ["package.json", "src"],
};
for (const [name, files] of Object.entries(RUNTIME)) {
  for (const file of files) cpSync(join(root, "node_modules", name, file), join(app, "node_modules", name, file), { recursive: true });
}

const bin = join(app, "bin");
const options = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: Object.keys(RUNTIME),
  // Bundled CommonJS (commander) requires Node built-ins, which an ES module has no require for.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  logLevel: "warning",
};
await build({
  ...options,
  stdin: {
    contents: `
      import { Command } from "commander";
      import { registerBenchTrain } from "./apps/trainer/src/bench/throughput.ts";
      const bench = new Command("bench");
      registerBenchTrain(bench);
      await bench.parseAsync(["train", ...process.argv.slice(2)], { from: "user" });
    `,
    resolveDir: root,
    loader: "ts",
  },
  outfile: join(bin, "throughput.mjs"),
});
// The replicas' and model copies' threads (--workers): each its own bundle beside the main one,
// started through a thread.mjs that loads the bundle of the TypeScript module it is given
// (in the repository, thread.mjs registers tsx instead).
await build({
  ...options,
  entryPoints: ["replica-worker", "model-worker"].map((name) => join(root, `apps/trainer/src/training/parallel/${name}.ts`)),
  outdir: bin,
  outExtension: { ".js": ".mjs" },
});
writeFileSync(join(bin, "thread.mjs"), 'await import(process.argv[2].replace(/\\.ts$/, ".mjs"));\n');
// The project's WebAssembly kernels (both builds), where the bundle looks for them (../dist from bin/).
for (const file of ["kernels.wasm", "kernels-fma.wasm"]) cpSync(join(root, "packages/tfjs/dist", file), join(app, "dist", file));

mkdirSync(join(root, ".gpu"), { recursive: true });
execFileSync("tar", ["-cJf", join(root, ".gpu/app.tar.xz"), "-C", app, "."]);
rmSync(app, { recursive: true });
console.log(`packed ${join(root, ".gpu/app.tar.xz")}`);

const node = join(root, ".gpu/node.xz");
if (!existsSync(node)) {
  execFileSync("sh", ["-c", `xz -c "${process.execPath}" > "${node}"`]);
  console.log(`packed ${node}`);
}

// Without the glvnd/X libraries NVIDIA's Vulkan ICD reports "Could not get 'vkCreateInstance'".
const DEBS = ["libvulkan1", "libegl1", "libglvnd0", "libopengl0", "libgl1", "libglx0", "libgles2", "libx11-6", "libxext6", "libxcb1", "libxau6", "libxdmcp6", "libbsd0", "libmd0"];
const debs = join(root, ".gpu/debs");
rmSync(debs, { recursive: true, force: true });
mkdirSync(debs);
execFileSync("apt-get", ["download", ...DEBS], { cwd: debs, stdio: "ignore" });
console.log(`downloaded ${DEBS.length} Debian packages into ${debs}`);
