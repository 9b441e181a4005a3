/**
 * `hiwl bench train`: training and inference throughput of the networks on this machine, with
 * the kernels and GPU dispatches a step takes, and with --compare-pytorch the same shapes in
 * PyTorch (pytorch-peer.ts). It reaches neither the database nor the image pipeline, so it also
 * bundles into one file that runs on a bare GPU machine (scripts/gpu/pack.mjs).
 */
import { execFile } from "node:child_process";
import { availableParallelism, cpus } from "node:os";
import { promisify } from "node:util";
import type { Command } from "commander";
import { createRng, HIWL_CLASSES, type Rng } from "@hiwl/model";
import { createModel } from "@hiwl/model/inference";
import { buildEfficientNet, EFFICIENTNET_VARIANT_NAMES, serializeModel, type EfficientNetVariantName } from "@hiwl/model/network";
import { profileStep, uninstallWebgpuKernels, type BackendChoice, type StepProfile } from "@hiwl/tfjs";
import { startBackend } from "../training/backend.ts";
import { NetworkTrainer, predictRows } from "@hiwl/model/training";
import { INFERENCE_BATCH } from "../training/evaluate.ts";
import { backendOption, integer } from "../cli/option-parsers.ts";
import { ModelPool } from "../training/parallel/model-pool.ts";
import { ReplicaPool } from "../training/parallel/replica-pool.ts";
import { PRESETS } from "../training/presets.ts";
import { markdownTable } from "./markdown-table.ts";
import { findPytorch, PYTORCH_MODELS, runPytorchPeer, type PytorchRow } from "./pytorch-peer.ts";

/** HIWL's own step, which docs/benchmarks.md's throughput tables measured. */
const STEP = PRESETS.paper.training;

export interface BenchRow {
  backend: string;
  /** Replicas training on worker threads (replica-pool.ts); 0: the main thread's own step. */
  workers: number;
  model: EfficientNetVariantName;
  inputSize: number;
  batch: number;
  trainImagesPerSec: number;
  /** When the timed steps began and ended (ms since the epoch), to check that --independent's processes trained at once. */
  trainWindow: [number, number];
  /** null with --no-infer. */
  inferImagesPerSec: number | null;
  /**
   * With --independent and 2 or more workers: as many single-threaded processes training an
   * equal share of the batch each at once, exchanging nothing. What that many replicas could
   * reach at most on this machine, its shared caches and memory bandwidth included.
   */
  independentImagesPerSec: number | null;
  /** Kernels one training step runs on the main thread; null for replicas (they run in workers). */
  kernelsPerStep: number | null;
  /** Of those, compute passes dispatched to the GPU (webgpu only). */
  dispatchesPerStep: number | null;
  /** With --profile: the kernel kinds that took longest in one step, with their counts. */
  slowestKernels: StepProfile["byKernel"] | null;
  /** The same shapes in PyTorch on as many threads as the row uses cores (--compare-pytorch). */
  pytorch: PytorchRow | null;
}

interface BenchTrainOptions {
  variant: string;
  inputSize: string;
  batch: string;
  workers: string;
  steps: number;
  backend: BackendChoice;
  comparePytorch?: boolean;
  independent?: boolean;
  infer: boolean;
  tfjsWebgpuKernels?: boolean;
  profile?: boolean;
  json?: boolean;
}

export function registerBenchTrain(bench: Command): void {
  bench
    .command("train")
    .description("training and inference throughput of the networks on this machine (random inputs, the trainer's own step)")
    .option("--variant <list>", `comma-separated variants (${EFFICIENTNET_VARIANT_NAMES.join(", ")})`, "b0,tiny,nano")
    .option("--input-size <list>", "comma-separated input sizes", "64")
    .option("--batch <list>", "comma-separated training batch sizes", String(STEP.batch))
    .option("--workers <list>", "comma-separated replica counts on worker threads (0: train on the main thread)", "0")
    .option("--steps <n>", "timed training steps after one warm-up step", integer("--steps", 1), 5)
    .addOption(backendOption())
    .option("--compare-pytorch", "also run each shape in Debian's PyTorch (python3-torch, python3-torchvision) and print the ratio (b0 only: torchvision has no tiny or nano)")
    .option(
      "--independent",
      "for rows of 2 or more workers, also train that many single-threaded processes at once on equal shares of the batch, exchanging nothing: the most that many replicas could reach on this machine",
    )
    .option("--no-infer", "skip the inference measurement")
    .option("--tfjs-webgpu-kernels", "on webgpu, train with tfjs-backend-webgpu's own filter-gradient kernels instead of the project's (for comparison)")
    .option("--profile", "time each kernel kind in one step and print the slowest (GPU timestamp queries on webgpu where the adapter has them)")
    .option("--json", "one JSON object per row instead of a table")
    .action(async (opts: BenchTrainOptions) => {
      const variants = list(opts.variant) as EfficientNetVariantName[];
      const unknown = variants.filter((v) => !EFFICIENTNET_VARIANT_NAMES.includes(v));
      if (unknown.length) throw new Error(`unknown variant(s) ${unknown.join(", ")}`);
      const sizes = list(opts.inputSize).map(integer("--input-size", 16));
      const batches = list(opts.batch).map(integer("--batch", 2));
      const workerCounts = list(opts.workers).map(integer("--workers", 0));
      for (const batch of opts.independent ? batches : []) {
        const uneven = workerCounts.find((w) => w >= 2 && batch % w !== 0);
        if (uneven) throw new Error(`--independent splits the batch equally: --batch ${batch} does not divide into ${uneven} workers`);
      }
      const python = opts.comparePytorch ? findPytorch() : null;
      const selected = await startBackend(opts.backend, opts.json ? undefined : console.log);
      if (opts.independent && selected.backend === "webgpu") throw new Error("--independent measures the CPU's cores: use it with --backend wasm");
      if (opts.tfjsWebgpuKernels) uninstallWebgpuKernels();
      const rows: BenchRow[] = [];
      for (const variant of variants) {
        for (const inputSize of sizes) {
          for (const batch of batches) {
            for (const workers of workerCounts) {
              const shape = { variant, inputSize, batch, steps: opts.steps };
              const measured = await measure(shape, workers, { profile: opts.profile ?? false, infer: opts.infer });
              const independentImagesPerSec = opts.independent && workers >= 2 ? await independentProcesses(shape, workers, selected.backend) : null;
              const pytorch =
                python && PYTORCH_MODELS.includes(variant)
                  ? runPytorchPeer(python, { inputSize, batch, threads: Math.max(1, workers), steps: opts.steps, step: STEP })
                  : null;
              const row = { backend: selected.backend, workers, model: variant, inputSize, batch, ...measured, independentImagesPerSec, pytorch };
              rows.push(row);
              if (opts.json) console.log(JSON.stringify(row));
              else if (row.slowestKernels) console.log(formatProfile(row));
            }
          }
        }
      }
      if (!opts.json) {
        const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
        console.log(`machine: ${cpu}, ${availableParallelism()} cores, Node ${process.version}`);
        console.log(formatTable(rows));
        console.log("(training augments on a worker thread in parallel; these figures are the network steps alone)");
      }
    });
}

const list = (value: string) => value.split(",").map((v) => v.trim());

interface Shape {
  variant: EfficientNetVariantName;
  inputSize: number;
  batch: number;
  steps: number;
}

/** `count` images of noise in [-1, 1). */
function randomImages(rng: Rng, count: number, inputSize: number): Float32Array {
  return Float32Array.from({ length: count * inputSize * inputSize * 3 }, () => 2 * rng() - 1);
}

/**
 * The time of the trainer's own step (SGD, weight decay, dropout), on the main thread or over
 * `workers` replicas, and unless told not to, of inference (measureInference), on random inputs.
 */
async function measure(
  { variant, inputSize, batch, steps }: Shape,
  workers: number,
  { profile, infer }: { profile: boolean; infer: boolean },
): Promise<Pick<BenchRow, "trainImagesPerSec" | "trainWindow" | "inferImagesPerSec" | "kernelsPerStep" | "dispatchesPerStep" | "slowestKernels">> {
  const options = { optimizer: STEP.optimizer, learningRate: STEP.lr, weightDecay: STEP.weightDecay };
  const model = buildEfficientNet({ variant, numClasses: HIWL_CLASSES.length, inputSize, seed: 1 });
  const trainer =
    workers === 0 ? new NetworkTrainer(model, options) : await ReplicaPool.start({ workers, model: await serializeModel(model), trainer: options });
  const rng = createRng("bench");
  const images = randomImages(rng, batch, inputSize);
  const targets = Array.from({ length: batch }, (_, i) => HIWL_CLASSES.map((_, k) => (k === i % HIWL_CLASSES.length ? 1 : 0)));
  try {
    // One warm-up step, then the timed ones back to back with one read at the end, as the
    // training loop reads its loss: a GPU works through them without stopping between steps.
    await trainer.step(images.slice(), targets, STEP.lr, rng);
    await trainer.totals();
    const start = performance.now();
    for (let i = 0; i < steps; i++) await trainer.step(images.slice(), targets, STEP.lr, rng);
    await trainer.totals();
    const end = performance.now();
    const trainMsPerStep = (end - start) / steps;
    const profiled =
      trainer instanceof NetworkTrainer
        ? await profileStep(async () => {
            await trainer.step(images.slice(), targets, STEP.lr, rng);
            await trainer.totals();
          })
        : null;
    return {
      trainImagesPerSec: round((batch * 1000) / trainMsPerStep),
      trainWindow: [performance.timeOrigin + start, performance.timeOrigin + end],
      inferImagesPerSec: infer ? await measureInference(model, inputSize, steps, workers) : null,
      kernelsPerStep: profiled?.kernels ?? null,
      dispatchesPerStep: profiled?.dispatches ?? null,
      slowestKernels: profile && profiled ? profiled.byKernel.slice(0, PROFILE_ROWS) : null,
    };
  } finally {
    await (trainer instanceof ReplicaPool ? trainer.close() : trainer.dispose());
    model.dispose();
  }
}

/** Inference images/s on random inputs; with workers, on as many copies of the model (ModelPool, the model API's classify()). */
async function measureInference(model: ReturnType<typeof buildEfficientNet>, inputSize: number, steps: number, workers: number): Promise<number> {
  const images = randomImages(createRng("bench-infer"), INFERENCE_BATCH, inputSize);
  const copies = workers === 0 ? null : await ModelPool.start(createModel({ classes: [...HIWL_CLASSES], hierarchy: "flat", inputSize }, { flat: model }), workers);
  try {
    const ms: number[] = [];
    for (let i = 0; i <= Math.max(2, Math.ceil(steps / 2)); i++) {
      const start = performance.now();
      await (copies ? copies.classify(images.slice()) : predictRows(model, images));
      if (i > 0) ms.push(performance.now() - start);
    }
    return round((INFERENCE_BATCH * 1000) / median(ms));
  } finally {
    await copies?.close();
  }
}

/**
 * `workers` copies of this command, each training batch/workers images a step on its main
 * thread, started together; their images/s added up. They must train at the same time for the
 * sum to mean anything, so their timed windows are checked for overlap.
 */
async function independentProcesses(shape: Shape, workers: number, backend: string): Promise<number> {
  // The words before the options: "bench train" under the hiwl CLI, none in the GPU bundle.
  const command = process.argv.slice(2);
  const prefix = command.slice(0, Math.max(0, command.findIndex((arg) => arg.startsWith("-"))));
  const args = [
    ...process.execArgv,
    process.argv[1]!,
    ...prefix,
    ...["--variant", shape.variant, "--input-size", String(shape.inputSize), "--batch", String(shape.batch / workers)],
    ...["--steps", String(shape.steps), "--workers", "0", "--backend", backend, "--no-infer", "--json"],
  ];
  const rows = await Promise.all(
    Array.from({ length: workers }, async () => {
      const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
      return JSON.parse(stdout.trim().split("\n").at(-1)!) as BenchRow;
    }),
  );
  const together = Math.min(...rows.map((r) => r.trainWindow[1])) - Math.max(...rows.map((r) => r.trainWindow[0]));
  const longest = Math.max(...rows.map((r) => r.trainWindow[1] - r.trainWindow[0]));
  if (together < 0.9 * longest) {
    console.warn(`the ${workers} independent processes trained at once for only ${Math.max(0, (100 * together) / longest).toFixed(0)}% of the time: raise --steps`);
  }
  return round(rows.reduce((sum, r) => sum + r.trainImagesPerSec, 0));
}

const round = (x: number) => Math.round(x * 10) / 10;

const PROFILE_ROWS = 10;

function formatProfile(row: BenchRow): string {
  const total = row.slowestKernels!.reduce((sum, k) => sum + (k.ms ?? 0), 0);
  return [
    `${row.model} ${row.inputSize}px batch ${row.batch}: the slowest kernel kinds of one step (${row.kernelsPerStep} kernels)`,
    markdownTable(
      ["kernel", "count", "ms", "share of these"],
      row.slowestKernels!.map((k) => [k.name, String(k.count), k.ms === null ? "-" : k.ms.toFixed(1), k.ms === null || total === 0 ? "-" : `${((100 * k.ms) / total).toFixed(0)}%`]),
    ),
  ].join("\n");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Scaling efficiency of a row of 2 or more replicas: its images/s over `workers` times those of
 * one replica of the same shape (the row of 1 worker), when that row was measured.
 */
function scaling(row: BenchRow, rows: readonly BenchRow[]): number | null {
  if (row.workers < 2) return null;
  const one = rows.find((r) => r.workers === 1 && r.backend === row.backend && r.model === row.model && r.inputSize === row.inputSize && r.batch === row.batch);
  return one ? row.trainImagesPerSec / (row.workers * one.trainImagesPerSec) : null;
}

function formatTable(rows: BenchRow[]): string {
  const withPytorch = rows.some((r) => r.pytorch);
  const withDispatches = rows.some((r) => r.dispatchesPerStep !== null);
  const withScaling = rows.some((r) => scaling(r, rows) !== null);
  const withIndependent = rows.some((r) => r.independentImagesPerSec !== null);
  const count = (n: number | null) => (n === null ? "-" : String(n));
  const percent = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(0)}%`);
  const ratio = (ours: number, theirs: number | undefined) => (theirs ? `${(ours / theirs).toFixed(2)}x` : "-");
  return markdownTable(
    [
      "backend",
      "workers",
      "model",
      "input",
      "batch",
      "train img/s",
      ...(withPytorch ? ["PyTorch train", "ratio"] : []),
      ...(withScaling ? ["scaling"] : []),
      ...(withIndependent ? ["independent processes", "of that"] : []),
      "infer img/s",
      ...(withPytorch ? ["PyTorch infer", "ratio"] : []),
      "kernels/step",
      ...(withDispatches ? ["dispatches/step"] : []),
    ],
    rows.map((r) => [
      r.backend,
      r.workers === 0 ? "main" : String(r.workers),
      r.model,
      `${r.inputSize}px`,
      String(r.batch),
      r.trainImagesPerSec.toFixed(1),
      ...(withPytorch ? [r.pytorch ? r.pytorch.trainImagesPerSec.toFixed(1) : "-", ratio(r.trainImagesPerSec, r.pytorch?.trainImagesPerSec)] : []),
      ...(withScaling ? [percent(scaling(r, rows))] : []),
      ...(withIndependent
        ? r.independentImagesPerSec === null
          ? ["-", "-"]
          : [r.independentImagesPerSec.toFixed(1), percent(r.trainImagesPerSec / r.independentImagesPerSec)]
        : []),
      r.inferImagesPerSec === null ? "-" : r.inferImagesPerSec.toFixed(1),
      ...(withPytorch ? [r.pytorch ? r.pytorch.inferImagesPerSec.toFixed(1) : "-", r.inferImagesPerSec === null ? "-" : ratio(r.inferImagesPerSec, r.pytorch?.inferImagesPerSec)] : []),
      count(r.kernelsPerStep),
      ...(withDispatches ? [count(r.dispatchesPerStep)] : []),
    ]),
  );
}
