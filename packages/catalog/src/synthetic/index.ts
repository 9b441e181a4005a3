/**
 * Synthetic galaxies, the embedded default catalogue: seeded truths, SDSS-like images of them
 * and simulated volunteers who classify them.
 */
import { DEFAULT_SIZE, render } from "./render.ts";
import { createRng } from "./random.ts";
import { sampleTruth, type GalaxyTruth } from "./truth.ts";

export * from "./truth.ts";
export * from "./render.ts";
export * from "./volunteers.ts";
export { createRng, type Rng } from "./random.ts";

export interface SyntheticGalaxy {
  readonly truth: GalaxyTruth;
  /** size x size RGB bytes, row-major. */
  readonly rgb: Uint8ClampedArray;
}

/** A galaxy and its image, both fixed by the seed. */
export function generateGalaxy(seed: string | number, size = DEFAULT_SIZE): SyntheticGalaxy {
  const truth = sampleTruth(createRng(`truth:${seed}`));
  return { truth, rgb: render(truth, seed, size) };
}
