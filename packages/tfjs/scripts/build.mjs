// Assembles src/kernels.wat with wabt (the WebAssembly Binary Toolkit's wat2wasm, compiled to
// JavaScript) into two binaries: dist/kernels.wasm (WebAssembly SIMD) and dist/kernels-fma.wasm,
// the same kernels with every vector multiply-add as relaxed SIMD's fused multiply-add
// (f32x4.relaxed_madd: one instruction and one rounding instead of two). Engines without relaxed
// SIMD reject the second and load the first (src/wasm-simd-kernels.ts). Run by
// `npm run build -w @hiwl/tfjs`, by turbo before tests, and by the root postinstall.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import initWabt from "wabt";

const source = new URL("../src/kernels.wat", import.meta.url);
const targets = { plain: new URL("../dist/kernels.wasm", import.meta.url), fma: new URL("../dist/kernels-fma.wasm", import.meta.url) };

/** The text as nested lists of atoms (comments dropped; the kernels hold no strings with parentheses). */
function parse(text) {
  const tokens = text.replace(/;;[^\n]*/g, "").match(/\(|\)|"[^"]*"|[^\s()]+/g) ?? [];
  let at = 0;
  const list = () => {
    const items = [];
    while (at < tokens.length) {
      const token = tokens[at++];
      if (token === "(") items.push(list());
      else if (token === ")") return items;
      else items.push(token);
    }
    return items;
  };
  return list();
}

const print = (node) => (Array.isArray(node) ? `(${node.map(print).join(" ")})` : node);

/** Whether evaluating `node` writes anything (so moving it past another operand could change a result). */
const writes = (node) =>
  Array.isArray(node) && (/^(local\.(set|tee)|call|.*\.store.*|memory\..*)$/.test(node[0]) || node.some(writes));

/**
 * Rewrites (f32x4.add c (f32x4.mul a b)) and (f32x4.add (f32x4.mul a b) c) as
 * (f32x4.relaxed_madd a b c) wherever no operand writes, since the rewrite evaluates a and b
 * before c. Returns the count.
 */
function fuse(node) {
  if (!Array.isArray(node)) return 0;
  let count = node.reduce((n, child) => n + fuse(child), 0);
  if (node[0] === "f32x4.add" && node.length === 3) {
    const product = [1, 2].find((i) => Array.isArray(node[i]) && node[i][0] === "f32x4.mul" && node[i].length === 3);
    if (product !== undefined && !node.slice(1).some(writes)) {
      const [, a, b] = node[product];
      const c = node[3 - product];
      node.splice(0, node.length, "f32x4.relaxed_madd", a, b, c);
      count++;
    }
  }
  return count;
}

const wabt = await initWabt();
const text = readFileSync(source, "utf8");
const tree = parse(text);
const fused = tree.reduce((n, node) => n + fuse(node), 0);
for (const [variant, target, wat, features] of [
  ["plain", targets.plain, text, { simd: true }],
  ["fma", targets.fma, tree.map(print).join("\n"), { simd: true, relaxed_simd: true }],
]) {
  const module = wabt.parseWat(fileURLToPath(source), wat, features);
  try {
    module.validate();
    // No names section: the binary holds just the code (names live in the .wat).
    const { buffer } = module.toBinary({ write_debug_names: false });
    mkdirSync(new URL(".", target), { recursive: true });
    writeFileSync(target, buffer);
    console.log(`${fileURLToPath(target)}: ${buffer.length} bytes${variant === "fma" ? `, ${fused} fused multiply-adds` : ""}`);
  } finally {
    module.destroy();
  }
}
