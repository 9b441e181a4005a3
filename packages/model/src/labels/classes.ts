/**
 * The five HIWL classes, how a galaxy is assigned one from its Kaggle vote fractions, and
 * the 5-class soft distribution the trainer uses as crowd labels.
 */
import { conditionalFractions, fraction, type VoteVector } from "../tree/vote-fractions.ts";

export const HIWL_CLASSES = ["round", "in-between", "cigar", "edge-on", "spiral"] as const;
export type HiwlClass = (typeof HIWL_CLASSES)[number];

export const CLASS_LABELS: Record<HiwlClass, string> = {
  round: "Completely round smooth",
  "in-between": "In-between smooth",
  cigar: "Cigar-shaped smooth",
  "edge-on": "Edge-on disk",
  spiral: "Spiral",
};

/**
 * Selection thresholds of HIWL (Ma et al. 2023, after Zhu et al. 2019) on the cumulative
 * Kaggle fractions; every comparison is a strict ">".
 */
export const SELECTION_RULES: Record<HiwlClass, ReadonlyArray<readonly [answerId: string, threshold: number]>> = {
  round: [["1.1", 0.469], ["7.1", 0.5]],
  "in-between": [["1.1", 0.469], ["7.2", 0.5]],
  cigar: [["1.1", 0.469], ["7.3", 0.5]],
  "edge-on": [["1.2", 0.43], ["2.1", 0.602]],
  spiral: [["1.2", 0.43], ["2.2", 0.715], ["4.1", 0.619]],
};

/** The class whose rules a galaxy passes, or null (most galaxies pass none). */
export function selectClass(cumulative: VoteVector): HiwlClass | null {
  for (const cls of HIWL_CLASSES) {
    if (SELECTION_RULES[cls].every(([id, t]) => fraction(cumulative, id) > t)) return cls;
  }
  return null;
}

/**
 * The 5-class crowd distribution from vote fractions, read down the tree with the
 * conditional fractions p(answer | question):
 *
 *   s = p(1.1) / (p(1.1) + p(1.2)),  d = 1 - s        (star/artifact votes are set aside)
 *   round = s p(7.1),  in-between = s p(7.2),  cigar = s p(7.3)
 *   edge-on = d p(2.1),  spiral = d p(2.2)
 *
 * "spiral" takes the whole face-on disk branch: of the five classes it is the only disk seen
 * face-on, and its hard rule (2.2 and 4.1) picks the clean end of that branch. A branch whose
 * question nobody answered (possible only with rounded published fractions) is split evenly.
 * Returns null when no volunteer answered smooth or disk: such a galaxy has no crowd label.
 */
export function classDistribution(cumulative: VoteVector): Record<HiwlClass, number> | null {
  const p = conditionalFractions(cumulative);
  const f = (id: string) => fraction(p, id);
  const smooth = f("1.1");
  const disk = f("1.2");
  if (smooth + disk <= 0) return null;
  const s = smooth / (smooth + disk);
  const d = 1 - s;
  const shape = split([f("7.1"), f("7.2"), f("7.3")]);
  const edge = split([f("2.1"), f("2.2")]);
  return {
    round: s * shape[0]!,
    "in-between": s * shape[1]!,
    cigar: s * shape[2]!,
    "edge-on": d * edge[0]!,
    spiral: d * edge[1]!,
  };
}

function split(parts: number[]): number[] {
  const sum = parts.reduce((x, y) => x + y, 0);
  return sum > 0 ? parts.map((x) => x / sum) : parts.map(() => 1 / parts.length);
}

/** The class with the highest probability (first on ties, in HIWL_CLASSES order). */
export function argmaxClass(probs: Readonly<Record<HiwlClass, number>>): HiwlClass {
  let best: HiwlClass = HIWL_CLASSES[0];
  for (const cls of HIWL_CLASSES) if (probs[cls] > probs[best]) best = cls;
  return best;
}

/**
 * Labels a catalogue may give a galaxy: one of the five classes, or just "smooth" where the
 * catalogue does not say how round (Galaxy Zoo 1's "elliptical").
 */
export const CATALOG_LABELS = [...HIWL_CLASSES, "smooth"] as const;
export type CatalogLabel = (typeof CATALOG_LABELS)[number];

/** The three-way view shared by every catalogue: smooth / edge-on / spiral. */
export const COARSE_CLASSES = ["smooth", "edge-on", "spiral"] as const;
export type CoarseClass = (typeof COARSE_CLASSES)[number];

export function coarseClass(label: CatalogLabel): CoarseClass {
  return label === "edge-on" || label === "spiral" ? label : "smooth";
}

export function isCatalogLabel(value: string): value is CatalogLabel {
  return (CATALOG_LABELS as readonly string[]).includes(value);
}
