// Assembles src/kernels.wat into dist/kernels.wasm with wabt (the WebAssembly Binary Toolkit's
// wat2wasm, compiled to JavaScript). Run by `npm run build -w @hiwl/tfjs`, by turbo before tests,
// and by the root postinstall.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import initWabt from "wabt";

const source = new URL("../src/kernels.wat", import.meta.url);
const target = new URL("../dist/kernels.wasm", import.meta.url);

const wabt = await initWabt();
const module = wabt.parseWat(fileURLToPath(source), readFileSync(source, "utf8"), { simd: true });
try {
  module.validate();
  // No names section: the binary holds just the code (names live in the .wat).
  const { buffer } = module.toBinary({ write_debug_names: false });
  mkdirSync(new URL(".", target), { recursive: true });
  writeFileSync(target, buffer);
  console.log(`${fileURLToPath(target)}: ${buffer.length} bytes`);
} finally {
  module.destroy();
}
