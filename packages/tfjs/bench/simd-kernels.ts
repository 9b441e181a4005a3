/**
 * ms per call of the convolution gradient kernels with the hand-written SIMD kernels
 * (wasm-simd-kernels.ts) and with their XNNPACK-based fallbacks, at EfficientNet-B0 shapes
 * (64 px, batch 32): npm run bench:simd -- [--reps 9]
 *
 * Each case first runs 10 untimed calls per configuration: V8 runs new wasm code in its
 * baseline tier until the optimising tier has compiled it.
 */
import * as tf from "@tensorflow/tfjs-core";
import os from "node:os";
import { parseArgs } from "node:util";
import { install, selectBackend } from "../src/index.ts";
import { setWasmSimdKernelsEnabled } from "../src/wasm-simd-kernels.ts";
import { conv, printTable, type Case } from "./conv-cases.ts";

const { values: args } = parseArgs({ options: { reps: { type: "string", default: "9" } } });
const reps = Number(args.reps);
const cases: Case[] = [];
for (const kernel of [tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput]) {
  cases.push(conv(kernel, [32, 32, 32, 32], 3, 0, 1, true));
  cases.push(conv(kernel, [32, 32, 32, 96], 3, 0, 2, true));
  cases.push(conv(kernel, [32, 16, 16, 144], 5, 0, 2, true));
  cases.push(conv(kernel, [32, 8, 8, 240], 5, 0, 1, true));
  cases.push(conv(kernel, [32, 4, 4, 672], 5, 0, 1, true));
  cases.push(conv(kernel, [32, 2, 2, 1152], 5, 0, 1, true));
}
cases.push(conv(tf.Conv2DBackpropFilter, [32, 64, 64, 3], 3, 32, 2, false));
cases.push(conv(tf.Conv2DBackpropFilter, [32, 16, 16, 32], 3, 32, 1, false));
cases.push(conv(tf.Conv2DBackpropFilter, [32, 32, 32, 16], 1, 96, 1, false));
cases.push(conv(tf.Conv2DBackpropFilter, [32, 16, 16, 144], 1, 24, 1, false));
cases.push(conv(tf.Conv2DBackpropFilter, [32, 4, 4, 112], 1, 672, 1, false));
cases.push(conv(tf.Conv2DBackpropFilter, [32, 2, 2, 1152], 1, 192, 1, false));
cases.push(conv(tf.Conv2DBackpropInput, [32, 64, 64, 3], 3, 32, 2, false));
cases.push(conv(tf.Conv2DBackpropInput, [32, 16, 16, 32], 3, 32, 1, false));

/** Median CPU ms per call of this process (the machine is shared). */
function time(c: Case): number {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([name, shape]) => [name, tf.randomNormal(shape)]));
  const ms: number[] = [];
  for (let i = -10; i < reps; i++) {
    const start = process.cpuUsage();
    const out = tf.engine().runKernel<tf.Tensor>(c.kernel, inputs, c.attrs as tf.NamedAttrMap);
    out.dataSync();
    const used = process.cpuUsage(start);
    if (i >= 0) ms.push((used.user + used.system) / 1000);
    out.dispose();
  }
  tf.dispose(Object.values(inputs));
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

install();
await selectBackend({ backend: "wasm" });
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; CPU ms per call, median of ${reps}`);
const rows: string[][] = [["kernel", "shape (same padding)", "SIMD", "XNNPACK-based", "speed-up"]];
for (const c of cases) {
  setWasmSimdKernelsEnabled(true);
  const simd = time(c);
  setWasmSimdKernelsEnabled(false);
  const fallback = time(c);
  setWasmSimdKernelsEnabled(true);
  rows.push([c.kernel, c.label, simd.toFixed(2), fallback.toFixed(2), `${(fallback / simd).toFixed(1)}x`]);
}
printTable(rows);
