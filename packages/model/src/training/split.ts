/**
 * HIWL's data split: each class on its own is shuffled and cut 80/10/10 into train, validation
 * and test, so every class keeps its share in all three (the authors' split uses seed 0).
 */
import { createRng } from "../random.ts";
import { shuffledEpoch } from "./sampler.ts";

export interface Split {
  /** Ascending indices into the items that were split. */
  train: number[];
  val: number[];
  test: number[];
}

export const SPLIT_FRACTIONS = { val: 0.1, test: 0.1 } as const;

/**
 * Splits items by class. Items without a class (null: crowd-labelled galaxies that pass no
 * selection rule, used only by "votes" targets) all go to training, since nothing can score
 * a prediction for them. Each class draws from its own seeded stream, so adding galaxies of
 * one class leaves the split of the others unchanged.
 */
export function stratifiedSplit<K extends string | number>(
  classes: readonly (K | null)[],
  seed: string | number,
  fractions: { val: number; test: number } = SPLIT_FRACTIONS,
): Split {
  const byClass = new Map<K, number[]>();
  const split: Split = { train: [], val: [], test: [] };
  classes.forEach((cls, i) => {
    if (cls === null) split.train.push(i);
    else if (byClass.has(cls)) byClass.get(cls)!.push(i);
    else byClass.set(cls, [i]);
  });
  for (const [cls, members] of byClass) {
    const order = shuffledEpoch(members.length, createRng(`split:${seed}:${cls}`)).map((j) => members[j]!);
    const val = Math.round(members.length * fractions.val);
    const test = Math.round(members.length * fractions.test);
    split.val.push(...order.slice(0, val));
    split.test.push(...order.slice(val, val + test));
    split.train.push(...order.slice(val + test));
  }
  const ascending = (a: number, b: number) => a - b;
  return { train: split.train.sort(ascending), val: split.val.sort(ascending), test: split.test.sort(ascending) };
}
