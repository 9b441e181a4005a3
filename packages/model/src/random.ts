/**
 * Seeded uniform numbers for everything in the project that must replay from a seed: the
 * synthetic sky, simulated volunteers, data splits, sampling and augmentation. seedrandom's
 * Alea is fast and takes string or numeric seeds, so a seed can name what it drives
 * ("truth:hiwl-12", "epoch:3").
 */
import seedrandom from "seedrandom";

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

export function createRng(seed: string | number): Rng {
  return seedrandom.alea(String(seed));
}
