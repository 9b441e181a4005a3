/**
 * Training and inference throughput of EfficientNet on the wasm backend, with a per-kernel
 * breakdown of a training step:
 *
 *   npm run bench:step -- [--variant b0] [--size 64] [--batch 32] [--steps 3] [--warmup 2]
 *                               [--config fast|no-simd|stock] [--compare] [--rounds 2]
 *                               [--no-profile] [--shapes] [--mode fit|minimize] [--optimizer adam|sgd]
 *
 * Configurations of the wasm backend (all with the missing gradient kernels, without which
 * wasm cannot train at all):
 *   stock    tfjs 4.22's own wasm kernels otherwise: the "before"
 *   no-simd  + the kernel, gradient and layer overrides of wasm-fast-kernels.ts, but without
 *            the hand-written SIMD kernels of wasm-simd-kernels.ts
 *   fast     everything registerWasmGradientKernels() registers: the "after"
 * --compare runs stock and fast alternately in one process (--rounds times each), so both see
 * the same machine load, and prints one row per configuration (medians over all its steps).
 * --mode minimize trains with optimizer.minimize on a cross-entropy computed in one tidy (as
 * NetworkTrainer does) instead of model.trainOnBatch; --optimizer sgd uses momentum SGD.
 * The machine is shared: rows give the load average, median wall time and median CPU time of
 * this process per step.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import os from "node:os";
import { parseArgs } from "node:util";
import { buildEfficientNet, type EfficientNetVariantName } from "../src/network/efficientnet.ts";
import { install, registerWasmFastKernels, selectBackend, setWasmSimdKernelsEnabled, unregisterWasmFastKernels } from "@hiwl/tfjs";

const { values: args } = parseArgs({
  options: {
    variant: { type: "string", default: "b0" },
    size: { type: "string", default: "64" },
    batch: { type: "string", default: "32" },
    steps: { type: "string", default: "3" },
    warmup: { type: "string", default: "2" },
    classes: { type: "string", default: "5" },
    mode: { type: "string", default: "fit" },
    optimizer: { type: "string", default: "adam" },
    config: { type: "string", default: "fast" },
    compare: { type: "boolean", default: false },
    rounds: { type: "string", default: "2" },
    "no-profile": { type: "boolean", default: false },
    top: { type: "string", default: "25" },
    /** Breaks the kernel table down by input shapes too. */
    shapes: { type: "boolean", default: false },
  },
});
const variant = args.variant as EfficientNetVariantName;
const size = Number(args.size);
const batch = Number(args.batch);
const steps = Number(args.steps);
const warmup = Number(args.warmup);
const numClasses = Number(args.classes);
const mode = args.mode as "fit" | "minimize";

type Config = "fast" | "no-simd" | "stock";
const CONFIG_LABELS: Record<Config, string> = {
  stock: "stock wasm + missing gradient kernels",
  "no-simd": "+ kernel/gradient/layer overrides, no SIMD kernels",
  fast: "+ overrides + SIMD kernels",
};

function useConfig(config: Config): void {
  if (config === "stock") {
    unregisterWasmFastKernels();
  } else {
    registerWasmFastKernels();
    setWasmSimdKernelsEnabled(config === "fast");
  }
}

interface KernelStat {
  ms: number;
  calls: number;
}

/**
 * Wraps every wasm kernel with a timer. Only kernels the engine calls are timed (depth 0):
 * wasm kernels are synchronous, so the time is exact, and composite kernels that call other
 * wasm kernels directly are charged as a whole. Register after the kernels to be measured.
 */
function instrumentWasmKernels(byShape: boolean): { stats: Map<string, KernelStat>; reset: () => void } {
  const stats = new Map<string, KernelStat>();
  let depth = 0;
  for (const config of tf.getKernelsForBackend("wasm")) {
    const original = config.kernelFunc;
    const name = config.kernelName;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      ...config,
      kernelFunc: (kernelArgs) => {
        if (depth > 0) return original(kernelArgs);
        depth++;
        const start = performance.now();
        try {
          return original(kernelArgs);
        } finally {
          depth--;
          const key = byShape
            ? `${name} ${Object.values(kernelArgs.inputs)
                .map((t) => `[${t?.shape.join(",")}]`)
                .join(" ")}`
            : name;
          const stat = stats.get(key) ?? { ms: 0, calls: 0 };
          stat.ms += performance.now() - start;
          stat.calls++;
          stats.set(key, stat);
        }
      },
    });
  }
  return { stats, reset: () => stats.clear() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")).join("\n");
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

install();
await selectBackend({ backend: "wasm" });
const configs: Config[] = args.compare ? ["stock", "fast"] : [args.config as Config];
if (!configs.every((c) => c in CONFIG_LABELS)) throw new Error(`unknown --config ${args.config}`);
useConfig(configs[0]!);
const profiler = args["no-profile"] || args.compare ? undefined : instrumentWasmKernels(args.shapes);

const model = buildEfficientNet({ variant, numClasses, inputSize: size, seed: 1 });
const optimizer = args.optimizer === "sgd" ? tf.train.momentum(0.01, 0.9) : tf.train.adam(1e-3);
if (mode === "fit") model.compile({ optimizer, loss: "categoricalCrossentropy" });
const xs = tf.randomNormal<tf.Rank.R4>([batch, size, size, 3]);
const ys = tf.oneHot(tf.randomUniform<tf.Rank.R1>([batch], 0, numClasses, "int32"), numClasses);
const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);

const trainStep = async (): Promise<number> => {
  if (mode === "fit") return (await model.trainOnBatch(xs, ys)) as number;
  const loss = optimizer.minimize(
    () => {
      const probs = model.apply(xs, { training: true }) as tf.Tensor;
      // The model ends in a softmax: the cross-entropy of its probabilities.
      return tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1))) as tf.Scalar;
    },
    true,
    variables,
  )!;
  const value = (await loss.data())[0]!;
  loss.dispose();
  return value;
};

interface Measured {
  stepMs: number[];
  stepCpuMs: number[];
  inferMs: number[];
  loads: string[];
}
const measured = new Map<Config, Measured>(configs.map((c) => [c, { stepMs: [], stepCpuMs: [], inferMs: [], loads: [] }]));
const tensorCounts: number[] = [];
const bufferCounts: number[] = [];

console.log(`${variant} ${size}px batch ${batch}, ${model.countParams()} params, mode ${mode}, ${args.optimizer}; load: ${load()}`);
const rounds = args.compare ? Number(args.rounds) : 1;
for (let round = 0; round < rounds; round++) {
  for (const config of configs) {
    useConfig(config);
    const m = measured.get(config)!;
    // Warm-up: XNNPACK operators, heap growth, and V8's optimising tier for wasm code.
    for (let i = 0; i < warmup; i++) {
      const start = performance.now();
      const loss = await trainStep();
      console.log(`[${config}] warm-up step ${i + 1}: ${(performance.now() - start).toFixed(0)} ms, loss ${loss.toFixed(4)}`);
    }
    profiler?.reset();
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const loss = await trainStep();
      m.stepMs.push(performance.now() - start);
      const cpu = process.cpuUsage(cpuStart);
      m.stepCpuMs.push((cpu.user + cpu.system) / 1000);
      tensorCounts.push(tf.memory().numTensors);
      bufferCounts.push(tf.engine().backend.numDataIds());
      m.loads.push(load());
      console.log(
        `[${config}] step ${i + 1}: ${m.stepMs.at(-1)!.toFixed(0)} ms (cpu ${m.stepCpuMs.at(-1)!.toFixed(0)} ms), ` +
          `loss ${loss.toFixed(4)}, load ${load()}`,
      );
    }
    // Inference as the browser does it: predict in batches, training=false.
    for (let i = 0; i < 4; i++) {
      const start = performance.now();
      const out = tf.tidy(() => model.predict(xs) as tf.Tensor);
      await out.data();
      out.dispose();
      if (i > 0) m.inferMs.push(performance.now() - start);
    }
  }
}

// The kernel table: `steps` more training steps, timed on their own (the counters above also
// ran through inference).
let kernelStats: Map<string, KernelStat> | undefined;
let profiledMs = 0;
if (profiler) {
  profiler.reset();
  const start = performance.now();
  for (let i = 0; i < steps; i++) await trainStep();
  profiledMs = performance.now() - start;
  kernelStats = new Map([...profiler.stats].map(([name, stat]) => [name, { ...stat }] as const));
}

console.log("");
const rows = [
  ["variant", "input", "batch", "configuration", "train img/s", "ms/step", "cpu ms/step", "img/s by cpu", "infer img/s", "load avg (1/5/15 min)"],
];
for (const [config, m] of measured) {
  const trainMs = median(m.stepMs);
  const cpuMs = median(m.stepCpuMs);
  rows.push([
    variant,
    `${size}px`,
    String(batch),
    `${config}: ${CONFIG_LABELS[config]}`,
    ((batch * 1000) / trainMs).toFixed(2),
    trainMs.toFixed(0),
    cpuMs.toFixed(0),
    ((batch * 1000) / cpuMs).toFixed(2),
    ((batch * 1000) / median(m.inferMs)).toFixed(1),
    m.loads.at(-1) ?? load(),
  ]);
}
console.log(table(rows));
console.log(`numTensors after each step: ${tensorCounts.join(",")}; wasm buffers: ${bufferCounts.join(",")}`);

if (kernelStats) {
  const total = [...kernelStats.values()].reduce((a, s) => a + s.ms, 0);
  const stepTotal = profiledMs;
  const kernelRows: string[][] = [["kernel", "ms/step", "% of step", "calls/step", "ms/call"]];
  const sorted = [...kernelStats.entries()].sort((a, b) => b[1].ms - a[1].ms);
  for (const [name, s] of sorted.slice(0, Number(args.top))) {
    kernelRows.push([
      name,
      (s.ms / steps).toFixed(0),
      ((100 * s.ms) / stepTotal).toFixed(1),
      String(Math.round(s.calls / steps)),
      (s.ms / s.calls).toFixed(2),
    ]);
  }
  const calls = [...kernelStats.values()].reduce((a, s) => a + s.calls, 0);
  kernelRows.push(["(all kernels)", (total / steps).toFixed(0), ((100 * total) / stepTotal).toFixed(1), String(Math.round(calls / steps)), ""]);
  kernelRows.push([
    "(outside kernels: engine, tape, GC)",
    ((stepTotal - total) / steps).toFixed(0),
    ((100 * (stepTotal - total)) / stepTotal).toFixed(1),
    "",
    "",
  ]);
  console.log("");
  console.log(`kernel time over ${steps} more training steps (${configs.at(-1)}):`);
  console.log(table(kernelRows));
}

tf.dispose([xs, ys]);
model.dispose();
