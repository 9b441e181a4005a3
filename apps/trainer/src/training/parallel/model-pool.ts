/**
 * Inference on every core: copies of a model on worker threads (model-worker.ts), each
 * classifying a contiguous share of every batch with the model API's own classify() and
 * sample(), the answers put back together in order. A copy computes what the model in this
 * thread would (the same weights, the same code, the same wasm backend), so scoring and
 * evaluation give the same predictions with any number of copies.
 */
import type { Classification, Model } from "@hiwl/model/inference";
import { serializeModel, type ModelFiles } from "@hiwl/model/network";
import { WorkerChannel } from "./channel.ts";
import type { FromModel, ModelData, ToModel } from "./messages.ts";
import { shardBounds } from "./replica-pool.ts";

/** What scoring and evaluation need of a model: a Model, or a pool of its copies. */
export type Classifier = Pick<Model, "shape"> & {
  classify(images: Float32Array, options?: { embed?: boolean }): Promise<Classification>;
  sample(images: Float32Array, passes: number): Promise<number[][][]>;
};

export class ModelPool implements Classifier {
  private constructor(
    readonly shape: Model["shape"],
    private readonly copies: WorkerChannel<ToModel, FromModel>[],
  ) {}

  /** `workers` copies of `model` (its networks as they are now); a copy that fails to start fails here. */
  static async start(model: Model, workers: number): Promise<ModelPool> {
    const networks: Partial<Record<string, ModelFiles>> = {};
    for (const [level, network] of Object.entries(model.networks)) if (network) networks[level] = await serializeModel(network);
    const data: ModelData = { shape: model.shape, networks };
    const copies = Array.from({ length: workers }, () => new WorkerChannel<ToModel, FromModel>(new URL("./model-worker.ts", import.meta.url), data, "inference worker"));
    const pool = new ModelPool(model.shape, copies);
    try {
      await Promise.all(copies.map((c) => c.next("ready")));
      return pool;
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  /** Each copy's share of the images, as the request it sends. */
  private shares(images: Float32Array): Float32Array<ArrayBuffer>[] {
    const pixels = this.shape.inputSize * this.shape.inputSize * 3;
    const n = images.length / pixels;
    return shardBounds(n, this.copies.length).map(([from, to]) => images.slice(from * pixels, to * pixels));
  }

  async classify(images: Float32Array, options: { embed?: boolean } = {}): Promise<Classification> {
    const embed = options.embed ?? false;
    const all = await Promise.all(
      this.shares(images).map(async (share, w) =>
        share.length === 0
          ? { probabilities: [], predicted: [], embeddings: [] }
          : (await this.copies[w]!.next("classified", { type: "classify", images: share, embed }, [share.buffer])).classification,
      ),
    );
    return {
      probabilities: all.flatMap((c) => c.probabilities),
      predicted: all.flatMap((c) => c.predicted),
      ...(options.embed && { embeddings: all.flatMap((c) => c.embeddings!) }),
    };
  }

  async sample(images: Float32Array, passes: number): Promise<number[][][]> {
    const parts = await Promise.all(
      this.shares(images).map(async (share, w) =>
        share.length === 0 ? [] : (await this.copies[w]!.next("sampled", { type: "sample", images: share, passes }, [share.buffer])).runs,
      ),
    );
    return Array.from({ length: passes }, (_, pass) => parts.flatMap((runs) => runs[pass] ?? []));
  }

  async close(): Promise<void> {
    await Promise.all(this.copies.map((c) => c.close()));
  }
}
