/**
 * ms per call of the wasm gradient kernels against the cpu backend at EfficientNet-like
 * shapes: npm run bench:kernels
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { install, selectBackend } from "../src/index.ts";
import { conv, printTable, type Case } from "./conv-cases.ts";

const cases: Case[] = [
  conv(tf.Conv2DBackpropFilter, [32, 32, 32, 32], 1, 64, 1, false),
  conv(tf.Conv2DBackpropFilter, [32, 16, 16, 96], 1, 24, 1, false),
  conv(tf.Conv2DBackpropFilter, [32, 16, 16, 32], 3, 32, 1, false),
  conv(tf.Conv2DBackpropFilter, [32, 64, 64, 3], 3, 32, 2, false),
  conv(tf.DepthwiseConv2dNativeBackpropFilter, [32, 32, 32, 32], 3, 0, 1, true),
  conv(tf.DepthwiseConv2dNativeBackpropFilter, [32, 32, 32, 96], 3, 0, 2, true),
  conv(tf.DepthwiseConv2dNativeBackpropFilter, [32, 16, 16, 144], 5, 0, 1, true),
  conv(tf.DepthwiseConv2dNativeBackpropInput, [32, 32, 32, 32], 3, 0, 1, true),
  conv(tf.DepthwiseConv2dNativeBackpropInput, [32, 32, 32, 96], 3, 0, 2, true),
  conv(tf.DepthwiseConv2dNativeBackpropInput, [32, 16, 16, 144], 5, 0, 1, true),
  conv(tf.Conv2DBackpropInput, [32, 32, 32, 32], 1, 64, 1, false),
  conv(tf.Conv2DBackpropInput, [32, 16, 16, 96], 1, 24, 1, false),
];

/**
 * Median ms per call. wasm gets one untimed call first: it creates XNNPACK operators and grows
 * the heap.
 */
function time(c: Case, repeats: number, warmUp: boolean): number {
  const inputs = Object.fromEntries(
    Object.entries(c.inputs).map(([name, shape]) => [name, tf.randomNormal(shape)]),
  );
  const ms: number[] = [];
  for (let i = warmUp ? -1 : 0; i < repeats; i++) {
    const start = performance.now();
    const out = tf.engine().runKernel<tf.Tensor>(c.kernel, inputs, c.attrs as tf.NamedAttrMap);
    out.dataSync();
    if (i >= 0) ms.push(performance.now() - start);
    out.dispose();
  }
  tf.dispose(Object.values(inputs));
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)] ?? NaN;
}

// wasm's own Conv2DBackpropInput, captured before install() replaces it, for comparison.
const STOCK_BACKPROP_INPUT = "StockWasmConv2DBackpropInput";
tf.registerKernel({
  ...tf.getKernel(tf.Conv2DBackpropInput, "wasm"),
  kernelName: STOCK_BACKPROP_INPUT,
});
install();
await selectBackend({ backend: "wasm" });

const rows: string[][] = [["kernel", "shape (same padding)", "wasm ms", "stock wasm ms", "cpu ms", "cpu / wasm"]];
for (const c of cases) {
  await tf.setBackend("wasm");
  const wasm = time(c, 5, true);
  const stock = c.kernel === tf.Conv2DBackpropInput ? time({ ...c, kernel: STOCK_BACKPROP_INPUT }, 3, true).toFixed(1) : "missing";
  await tf.setBackend("cpu");
  // The cpu kernels take seconds here and vary little: one timed call each.
  const cpu = time(c, 1, false);
  rows.push([c.kernel, c.label, wasm.toFixed(1), stock, cpu.toFixed(0), `${(cpu / wasm).toFixed(0)}x`]);
}
printTable(rows);
