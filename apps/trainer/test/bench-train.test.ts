/**
 * `hiwl bench train` end to end, small: throughput, kernels per step, GPU dispatches on
 * WebGPU (Mesa's lavapipe where there is no GPU) and the PyTorch peer in the same run.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { BenchRow } from "../src/bench/throughput.ts";

const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));

async function hiwl(...args: string[]): Promise<string> {
  return (await promisify(execFile)(process.execPath, [HIWL, ...args], { timeout: 240_000 })).stdout;
}

async function bench(...args: string[]): Promise<BenchRow[]> {
  const stdout = await hiwl("bench", "train", "--input-size", "32", "--batch", "4", "--steps", "1", "--json", ...args);
  return stdout.trim().split("\n").map((line) => JSON.parse(line) as BenchRow);
}

describe("hiwl bench train", { timeout: 300_000 }, () => {
  it("measures B0 on wasm beside PyTorch's torchvision B0 on the same number of threads, and counts the kernels of a step", async () => {
    const rows = await bench("--variant", "b0,nano", "--backend", "wasm", "--compare-pytorch");
    expect(rows.map((r) => [r.model, r.backend, r.workers])).toEqual([
      ["b0", "wasm", 0],
      ["nano", "wasm", 0],
    ]);
    const [b0, nano] = rows as [BenchRow, BenchRow];
    for (const row of rows) {
      expect(row.trainImagesPerSec).toBeGreaterThan(0);
      expect(row.inferImagesPerSec).toBeGreaterThan(0);
      expect(row.dispatchesPerStep).toBeNull();
    }
    // B0's 16 blocks of several layers each, forward and backward, against nano's few.
    expect(b0.kernelsPerStep!).toBeGreaterThan(1000);
    expect(nano.kernelsPerStep!).toBeLessThan(b0.kernelsPerStep!);
    expect(b0.pytorch).toMatchObject({ threads: 1, torch: expect.stringMatching(/^\d+\.\d+/) });
    expect(b0.pytorch!.trainImagesPerSec).toBeGreaterThan(0);
    expect(b0.pytorch!.inferImagesPerSec).toBeGreaterThan(0);
    expect(nano.pytorch).toBeNull();
  });

  it("with --independent, trains as many single-threaded processes at once beside the replicas, and prints the scaling", async () => {
    const rows = await bench("--variant", "nano", "--backend", "wasm", "--workers", "1,2", "--independent", "--no-infer");
    expect(rows.map((r) => r.workers)).toEqual([1, 2]);
    const [one, two] = rows as [BenchRow, BenchRow];
    expect(one.independentImagesPerSec).toBeNull();
    expect(two.independentImagesPerSec!).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.inferImagesPerSec).toBeNull();
      expect(row.trainWindow[1]).toBeGreaterThan(row.trainWindow[0]);
      expect(row.kernelsPerStep).toBeNull();
    }
    const table = await hiwl("bench", "train", "--variant", "nano", "--input-size", "32", "--batch", "4", "--steps", "1", "--backend", "wasm", "--workers", "1,2", "--independent");
    expect(table).toMatch(/\| scaling \| independent processes \| of that \|/);
    expect(table).toMatch(/\| wasm \| 2 \| nano \| 32px \| 4 \| [\d.]+ \| \d+% \| [\d.]+ \| \d+% \| [\d.]+ \|/);
  });

  it("refuses --independent where the batch does not split equally, and on webgpu", async () => {
    await expect(bench("--variant", "nano", "--backend", "wasm", "--workers", "2", "--batch", "5", "--independent")).rejects.toThrow(
      "--independent splits the batch equally: --batch 5 does not divide into 2 workers",
    );
    await expect(bench("--variant", "nano", "--backend", "webgpu", "--workers", "2", "--independent")).rejects.toThrow(
      "--independent measures the CPU's cores: use it with --backend wasm",
    );
  });

  it("counts GPU dispatches on webgpu: the project's kernels (filter gradients, batch norm, swish, optimizer) take far fewer than tfjs's own", async () => {
    const [project] = await bench("--variant", "nano", "--backend", "webgpu");
    const [tfjs] = await bench("--variant", "nano", "--backend", "webgpu", "--tfjs-webgpu-kernels");
    for (const row of [project!, tfjs!]) {
      expect(row.backend).toBe("webgpu");
      expect(row.trainImagesPerSec).toBeGreaterThan(0);
      expect(row.dispatchesPerStep!).toBeGreaterThan(100);
      expect(row.dispatchesPerStep!).toBeLessThanOrEqual(row.kernelsPerStep! * 3);
    }
    // Measured on lavapipe, nano: 2,516 kernels and 1,552 dispatches a step against 4,502 and 2,815.
    expect(project!.kernelsPerStep!).toBeLessThan(tfjs!.kernelsPerStep! * 0.7);
    expect(project!.dispatchesPerStep!).toBeLessThan(tfjs!.dispatchesPerStep! * 0.7);
  });
});
