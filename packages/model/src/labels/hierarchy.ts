/**
 * HIWL's two-level classifier as in the authors' code. Level 1 is 4-way with cigar and edge-on
 * merged, because those two look alike and starve each other in one softmax; level 2 is a
 * binary cigar / edge-on network trained only on galaxies of those two classes. The 5-class
 * probability is P1 for the unmerged classes and P1(merged) x P2 for the merged pair.
 * "flat" is the ablation: one 5-way network. How the two networks' outputs combine at
 * inference is network/combine.ts.
 */
import { HIWL_CLASSES, type HiwlClass } from "./classes.ts";

export const LEVEL2_CLASSES = ["cigar", "edge-on"] as const satisfies readonly HiwlClass[];
export type Level2Class = (typeof LEVEL2_CLASSES)[number];
export const MERGED_CLASS = LEVEL2_CLASSES.join("+");

const isLevel2Class = (cls: HiwlClass): cls is Level2Class => (LEVEL2_CLASSES as readonly HiwlClass[]).includes(cls);

/** The merged class sits where the first of its members sits in HIWL_CLASSES. */
export const LEVEL1_CLASSES: readonly string[] = HIWL_CLASSES.flatMap((cls) =>
  cls === LEVEL2_CLASSES[0] ? [MERGED_CLASS] : isLevel2Class(cls) ? [] : [cls],
);

export const LEVELS = ["flat", "level1", "level2"] as const;
export type Level = (typeof LEVELS)[number];

export const LEVEL_CLASSES: Readonly<Record<Level, readonly string[]>> = {
  flat: HIWL_CLASSES,
  level1: LEVEL1_CLASSES,
  level2: LEVEL2_CLASSES,
};

export const HIERARCHY_MODES = ["hierarchical", "flat"] as const;
export type HierarchyMode = (typeof HIERARCHY_MODES)[number];

/** The networks each mode trains and ships. */
export const NETWORKS: Readonly<Record<HierarchyMode, readonly Level[]>> = {
  hierarchical: ["level1", "level2"],
  flat: ["flat"],
};

const MERGED_INDEX = LEVEL1_CLASSES.indexOf(MERGED_CLASS);

/** For each HIWL class (by index), its output index in a level, or null where the level never sees it. */
export const OUTPUT_INDEX: Readonly<Record<Level, readonly (number | null)[]>> = {
  flat: HIWL_CLASSES.map((_, i) => i),
  level1: HIWL_CLASSES.map((cls) => (isLevel2Class(cls) ? MERGED_INDEX : LEVEL1_CLASSES.indexOf(cls))),
  level2: HIWL_CLASSES.map((cls) => (isLevel2Class(cls) ? LEVEL2_CLASSES.indexOf(cls) : null)),
};

/** Whether a level's network trains on galaxies of this class. */
export function levelTrainsOn(level: Level, cls: HiwlClass): boolean {
  return OUTPUT_INDEX[level][HIWL_CLASSES.indexOf(cls)] !== null;
}

/**
 * A 5-class target seen by one level. A hard target (a HIWL_CLASSES index) becomes that
 * level's one-hot, or null when the level does not train on the class. A soft target (a
 * 5-vector) is summed into level 1's merged class, or for level 2 restricted to cigar /
 * edge-on and renormalised (null if it gives them no mass); whether a soft-labelled galaxy
 * belongs in level 2 at all is decided from its class (see targets.ts), not here.
 */
export function levelTarget(level: Level, target: number | readonly number[]): number[] | null {
  const k = LEVEL_CLASSES[level].length;
  const index = OUTPUT_INDEX[level];
  if (typeof target === "number") {
    const i = index[target];
    if (i === undefined) throw new Error(`class index ${target} out of range`);
    return i === null ? null : Array.from({ length: k }, (_, j) => (j === i ? 1 : 0));
  }
  if (target.length !== HIWL_CLASSES.length) {
    throw new Error(`expected a ${HIWL_CLASSES.length}-class target, got ${target.length} values`);
  }
  const out = new Array<number>(k).fill(0);
  target.forEach((p, c) => {
    const i = index[c];
    if (i != null) out[i]! += p;
  });
  if (level !== "level2") return out;
  const sum = out.reduce((a, b) => a + b, 0);
  return sum > 0 ? out.map((p) => p / sum) : null;
}

export function level1Target(target: number | readonly number[]): number[] {
  return levelTarget("level1", target)!;
}

export function level2Target(target: number | readonly number[]): number[] | null {
  return levelTarget("level2", target);
}
