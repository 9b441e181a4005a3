/**
 * Seeded uniform numbers for sampling and augmentation. mulberry32: tiny, fast and good enough
 * for shuffles and augmentation draws; what matters here is that a seed replays an epoch.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
