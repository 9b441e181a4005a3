import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderCutouts, useCpuForRendering } from "@hiwl/model/training";
import { ImagePipeline, type Cutouts } from "../src/training/image-pipeline.ts";

const SIDE = 40;
const INPUT = 24;
/** Three cutouts: a bright square on dark sky, at different places. */
const cutouts: Cutouts = {
  side: SIDE,
  pixels: Uint8Array.from({ length: 3 * SIDE * SIDE * 3 }, (_, i) => {
    const n = Math.floor(i / (SIDE * SIDE * 3));
    const y = Math.floor(i / (SIDE * 3)) % SIDE;
    const x = Math.floor(i / 3) % SIDE;
    return Math.abs(x - 12 - 6 * n) < 5 && Math.abs(y - 20) < 5 ? 220 : 10;
  }),
};

let pipeline: ImagePipeline;

beforeAll(async () => {
  await useCpuForRendering();
  pipeline = await ImagePipeline.start();
});

afterAll(async () => {
  await pipeline.close();
});

describe("image worker", () => {
  it("renders the requested cutouts exactly as the main thread would, seeded views reproducibly", async () => {
    const picked = cutouts.pixels.slice(2 * SIDE * SIDE * 3, 3 * SIDE * SIDE * 3);
    const expected = renderCutouts(picked, 1, SIDE, INPUT, null);
    const [test, augmented, again, other] = await Promise.all([
      pipeline.render(cutouts, [2], INPUT, null),
      pipeline.render(cutouts, [2, 0], INPUT, { seed: "s", rotationDegrees: 25 }),
      pipeline.render(cutouts, [2, 0], INPUT, { seed: "s", rotationDegrees: 25 }),
      pipeline.render(cutouts, [2, 0], INPUT, { seed: "t", rotationDegrees: 25 }),
    ]);
    expect(Array.from(test)).toEqual(Array.from(expected));
    expect(augmented).toHaveLength(2 * INPUT * INPUT * 3);
    expect(Array.from(again)).toEqual(Array.from(augmented));
    expect(Array.from(other)).not.toEqual(Array.from(augmented));
    // The recipe's rotation range reaches the worker: the same seed turned through any angle is another view.
    const anyAngle = await pipeline.render(cutouts, [2, 0], INPUT, { seed: "s", rotationDegrees: 180 });
    expect(Array.from(anyAngle)).not.toEqual(Array.from(augmented));
    // The caller's cutouts stay intact: only a copy of the batch is transferred.
    expect(cutouts.pixels.length).toBe(3 * SIDE * SIDE * 3);
  });

  it("rejects the request that fails in the worker and keeps serving the others", async () => {
    // An empty batch fails inside tfjs, in the worker.
    await expect(pipeline.render(cutouts, [], INPUT, null)).rejects.toThrow(/image worker: .*concat/is);
    expect(await pipeline.render(cutouts, [1], INPUT, null)).toHaveLength(INPUT * INPUT * 3);
  });

  it("refuses work once closed", async () => {
    const closing = await ImagePipeline.start();
    await closing.close();
    await expect(closing.render(cutouts, [0], INPUT, null)).rejects.toThrow(/closed/);
  });
});
