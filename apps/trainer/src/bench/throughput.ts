/**
 * `hiwl bench train`: training and inference throughput of the networks on this machine, with
 * the kernels and GPU dispatches a step takes, and with --compare-pytorch the same shapes in
 * PyTorch (pytorch-peer.ts). It reaches neither the database nor the image pipeline, so it also
 * bundles into one file that runs on a bare GPU machine (scripts/gpu/pack.mjs).
 */
import { availableParallelism, cpus } from "node:os";
import type { Command } from "commander";
import { createRng, HIWL_CLASSES } from "@hiwl/model";
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
  inferImagesPerSec: number;
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
      const python = opts.comparePytorch ? findPytorch() : null;
      const selected = await startBackend(opts.backend, opts.json ? undefined : console.log);
      if (opts.tfjsWebgpuKernels) uninstallWebgpuKernels();
      const rows: BenchRow[] = [];
      for (const variant of variants) {
        for (const inputSize of sizes) {
          for (const batch of batches) {
            for (const workers of workerCounts) {
              const measured = await measure(variant, inputSize, batch, opts.steps, workers, opts.profile ?? false);
              const pytorch =
                python && PYTORCH_MODELS.includes(variant)
                  ? runPytorchPeer(python, { inputSize, batch, threads: Math.max(1, workers), steps: opts.steps, step: STEP })
                  : null;
              const row = { backend: selected.backend, workers, model: variant, inputSize, batch, ...measured, pytorch };
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

/**
 * Median times of the trainer's own step (SGD, weight decay, dropout), on the main thread or
 * over `workers` replicas, and of inference on the main thread, on random inputs.
 */
async function measure(
  variant: EfficientNetVariantName,
  inputSize: number,
  batch: number,
  steps: number,
  workers: number,
  profile: boolean,
): Promise<Pick<BenchRow, "trainImagesPerSec" | "inferImagesPerSec" | "kernelsPerStep" | "dispatchesPerStep" | "slowestKernels">> {
  const options = { optimizer: STEP.optimizer, learningRate: STEP.lr, weightDecay: STEP.weightDecay };
  const model = buildEfficientNet({ variant, numClasses: HIWL_CLASSES.length, inputSize, seed: 1 });
  const trainer =
    workers === 0 ? new NetworkTrainer(model, options) : await ReplicaPool.start({ workers, model: await serializeModel(model), trainer: options });
  const rng = createRng("bench");
  const noise = (n: number) => Float32Array.from({ length: n * inputSize * inputSize * 3 }, () => 2 * rng() - 1);
  const images = noise(batch);
  const targets = Array.from({ length: batch }, (_, i) => HIWL_CLASSES.map((_, k) => (k === i % HIWL_CLASSES.length ? 1 : 0)));
  const inferImages = noise(INFERENCE_BATCH);
  try {
    // One warm-up step, then the timed ones back to back with one read at the end, as the
    // training loop reads its loss: a GPU works through them without stopping between steps.
    await trainer.step(images.slice(), targets, STEP.lr, rng);
    await trainer.totals();
    const start = performance.now();
    for (let i = 0; i < steps; i++) await trainer.step(images.slice(), targets, STEP.lr, rng);
    await trainer.totals();
    const trainMsPerStep = (performance.now() - start) / steps;
    const profiled =
      trainer instanceof NetworkTrainer
        ? await profileStep(async () => {
            await trainer.step(images.slice(), targets, STEP.lr, rng);
            await trainer.totals();
          })
        : null;
    // With workers, inference runs on as many copies of the model (ModelPool, the model API's classify()).
    const copies = workers === 0 ? null : await ModelPool.start(createModel({ classes: [...HIWL_CLASSES], hierarchy: "flat", inputSize }, { flat: model }), workers);
    const inferMs: number[] = [];
    for (let i = 0; i <= Math.max(2, Math.ceil(steps / 2)); i++) {
      const start = performance.now();
      await (copies ? copies.classify(inferImages.slice()) : predictRows(model, inferImages));
      if (i > 0) inferMs.push(performance.now() - start);
    }
    await copies?.close();
    return {
      trainImagesPerSec: round((batch * 1000) / trainMsPerStep),
      inferImagesPerSec: round((INFERENCE_BATCH * 1000) / median(inferMs)),
      kernelsPerStep: profiled?.kernels ?? null,
      dispatchesPerStep: profiled?.dispatches ?? null,
      slowestKernels: profile && profiled ? profiled.byKernel.slice(0, PROFILE_ROWS) : null,
    };
  } finally {
    await (trainer instanceof ReplicaPool ? trainer.close() : trainer.dispose());
    model.dispose();
  }
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

function formatTable(rows: BenchRow[]): string {
  const withPytorch = rows.some((r) => r.pytorch);
  const withDispatches = rows.some((r) => r.dispatchesPerStep !== null);
  const count = (n: number | null) => (n === null ? "-" : String(n));
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
      r.inferImagesPerSec.toFixed(1),
      ...(withPytorch ? [r.pytorch ? r.pytorch.inferImagesPerSec.toFixed(1) : "-", ratio(r.inferImagesPerSec, r.pytorch?.inferImagesPerSec)] : []),
      count(r.kernelsPerStep),
      ...(withDispatches ? [count(r.dispatchesPerStep)] : []),
    ]),
  );
}
