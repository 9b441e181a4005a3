/**
 * Data-parallel training (src/training/parallel): real worker threads, each with its own wasm
 * backend and replica, against the single-process step on the same backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng, HIWL_CLASSES } from "@hiwl/model";
import { createModel } from "@hiwl/model/inference";
import { buildEfficientNet, serializeModel } from "@hiwl/model/network";
import { NetworkTrainer } from "@hiwl/model/training";
import { startBackend } from "../src/training/backend.ts";
import { ModelPool } from "../src/training/parallel/model-pool.ts";
import { ReplicaPool, shardBounds } from "../src/training/parallel/replica-pool.ts";

const NETWORK = { variant: "nano", numClasses: HIWL_CLASSES.length, inputSize: 32, seed: 7 } as const;
const TRAINER = { optimizer: "adam", learningRate: 0.003, weightDecay: 1e-4 } as const;
const BATCH = 12;

const rng = createRng("parallel-test");
const images = Float32Array.from({ length: BATCH * 32 * 32 * 3 }, () => 2 * rng() - 1);
const targets = Array.from({ length: BATCH }, (_, i) => HIWL_CLASSES.map((_, k) => (k === i % HIWL_CLASSES.length ? 1 : 0)));

const pools: ReplicaPool[] = [];
beforeAll(async () => {
  await startBackend("wasm");
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

interface Run {
  losses: number[];
  correct: number[];
  /** Every replica's weights after the steps, and replica 0's before them. */
  weights: Float32Array[];
  initial: Float32Array;
  /** How many of the weights are trainable (they come first). */
  parameters: number;
}

async function train(workers: number, steps: number): Promise<Run> {
  const model = buildEfficientNet(NETWORK);
  const parameters = model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, d) => a * d!, 1), 0);
  const pool = await ReplicaPool.start({ workers, model: await serializeModel(model), trainer: TRAINER });
  model.dispose();
  pools.push(pool);
  const initial = (await pool.weights())[0]!;
  const stepRng = createRng("steps");
  const losses: number[] = [];
  const correct: number[] = [];
  for (let s = 0; s < steps; s++) {
    await pool.step(images.slice(), targets, TRAINER.learningRate, stepRng);
    const sums = await pool.totals();
    losses.push(sums.lossSum / sums.images);
    correct.push(sums.correct);
  }
  return { losses, correct, weights: await pool.weights(), initial, parameters };
}

describe("data-parallel training", { timeout: 240_000 }, () => {
  it("cuts a batch into contiguous shards as equal as can be", () => {
    expect(shardBounds(32, 2)).toEqual([[0, 16], [16, 32]]);
    expect(shardBounds(7, 3)).toEqual([[0, 2], [2, 4], [4, 7]]);
    expect(shardBounds(1, 2)).toEqual([[0, 0], [0, 1]]);
  });

  it("keeps its replicas bit-identical, repeats itself exactly, and learns as one process does", async () => {
    const two = await train(2, 4);
    // Both replicas hold the same bits: the same summed gradients, the same update.
    expect(two.weights).toHaveLength(2);
    expect(Buffer.from(two.weights[0]!.buffer).equals(Buffer.from(two.weights[1]!.buffer))).toBe(true);
    // The same worker count and seeds: the same run, bit for bit.
    const again = await train(2, 4);
    expect(again.losses).toEqual(two.losses);
    expect(Buffer.from(again.weights[0]!.buffer).equals(Buffer.from(two.weights[0]!.buffer))).toBe(true);

    // Three replicas each add an uneven share of the parameters into the one shared sum: every
    // share was added (Adam's first step moves a weight with any gradient by about the learning
    // rate; a share left out would get no gradient), and all three apply the same sum.
    const three = await train(3, 1);
    for (const w of three.weights.slice(1)) expect(Buffer.from(w.buffer).equals(Buffer.from(three.weights[0]!.buffer))).toBe(true);
    for (const [from, to] of shardBounds(three.parameters, 3)) {
      let moved = 0;
      for (let i = from; i < to; i++) if (Math.abs(three.weights[0]![i]! - three.initial[i]!) > TRAINER.learningRate / 3) moved++;
      expect(moved / (to - from), `share [${from}, ${to})`).toBeGreaterThan(0.5);
    }

    // One replica does what the single-process step does, given the dropout stream the pool
    // gives replica 0 of the first step.
    const one = await train(1, 4);
    const model = buildEfficientNet(NETWORK);
    const single = new NetworkTrainer(model, TRAINER);
    const seed = `step:${Math.floor(createRng("steps")() * 2 ** 32)}:0`;
    await single.step(images.slice(), targets, TRAINER.learningRate, createRng(seed));
    const first = await single.totals();
    single.dispose();
    model.dispose();
    expect(first).toMatchObject({ images: targets.length, steps: 1 });
    expect(one.losses[0]).toBeCloseTo(first.lossSum / first.images, 5);
    expect(one.correct[0]).toBe(first.correct);
    // Two replicas see the same first batch: batch norm normalises each half on its own, so
    // the loss is close to, not equal to, one replica's.
    expect(Math.abs(two.losses[0]! - one.losses[0]!)).toBeLessThan(0.05);
    // And both learn the batch.
    for (const run of [one, two]) expect(run.losses.at(-1)!).toBeLessThan(run.losses[0]!);
  });
});

describe("parallel inference", { timeout: 120_000 }, () => {
  it("gives what the model gives on this thread, in order, with features and dropout samples", async () => {
    const level1 = buildEfficientNet({ ...NETWORK, numClasses: 4, seed: 11 });
    const level2 = buildEfficientNet({ ...NETWORK, numClasses: 2, seed: 12 });
    const model = createModel({ classes: [...HIWL_CLASSES], hierarchy: "hierarchical", inputSize: 32 }, { level1, level2 });
    const n = 11;
    const batch = images.slice(0, n * 32 * 32 * 3);
    const pool = await ModelPool.start(model, 2);
    try {
      const here = await model.classify(batch, { embed: true });
      const there = await pool.classify(batch.slice(), { embed: true });
      expect(there.predicted).toEqual(here.predicted);
      expect(there.probabilities).toHaveLength(n);
      there.probabilities.forEach((row, i) => row.forEach((p, k) => expect(p).toBeCloseTo(here.probabilities[i]![k]!, 6)));
      expect(there.embeddings!.map((e) => e.length)).toEqual(here.embeddings!.map((e) => e.length));
      there.embeddings!.forEach((row, i) => expect(Math.max(...row.map((v, k) => Math.abs(v - here.embeddings![i]![k]!)))).toBeLessThan(1e-4));
      // One image: one copy has nothing to do.
      expect((await pool.classify(batch.slice(0, 32 * 32 * 3))).predicted).toEqual(here.predicted.slice(0, 1));
      const runs = await pool.sample(batch.slice(), 3);
      expect(runs.map((run) => run.length)).toEqual([n, n, n]);
      for (const run of runs) for (const row of run) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      await pool.close();
      model.dispose();
    }
  });
});
