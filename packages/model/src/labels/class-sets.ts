/**
 * The class lists a model can be trained on, and everything that depends on the list: which
 * class a galaxy has, which networks are trained, each network's targets and how their outputs
 * become one decision.
 *
 * - `hiwl`: the five HIWL classes, flat or hierarchical (hierarchy.ts, targets.ts).
 * - `coarse`: smooth / edge-on / spiral, the only view a catalogue like Galaxy Zoo 1 gives
 *   ("elliptical" says smooth but not how round). One flat network.
 *
 * A galaxy's class is its catalogue label when the list has it (catalogues here are expert or
 * consensus labels, and the synthetic sky's label is its truth), otherwise the class its vote
 * fractions select with the HIWL thresholds.
 */
import {
  classDistribution,
  coarseClass,
  COARSE_CLASSES,
  HIWL_CLASSES,
  isCatalogLabel,
  selectClass,
  type HiwlClass,
} from "./classes.ts";
import { LEVEL_CLASSES, levelTarget, NETWORKS, type HierarchyMode, type Level } from "./hierarchy.ts";
import { crowdTarget, oneHot, trainingTarget, type CrowdLabelMode } from "./targets.ts";
import type { VoteVector } from "../tree/vote-fractions.ts";

export const CLASS_SET_NAMES = ["hiwl", "coarse"] as const;
export type ClassSetName = (typeof CLASS_SET_NAMES)[number];

/** What is known about a galaxy's class. */
export interface GalaxyEvidence {
  /** A catalogue's label (CATALOG_LABELS), or null. */
  catalogLabel: string | null;
  /** The 37 cumulative vote fractions, or null without votes. */
  votes: VoteVector | null;
}

export interface ClassSet {
  readonly name: ClassSetName;
  /** The model's output classes, in order. */
  readonly classes: readonly string[];
  readonly hierarchyModes: readonly HierarchyMode[];
  /** Index in `classes` of the galaxy's class, or null when it has none. */
  classOf(galaxy: GalaxyEvidence): number | null;
  /** The networks a mode trains, in training order. */
  networks(mode: HierarchyMode): readonly Level[];
  /** A network's output classes. */
  outputs(level: Level): readonly string[];
  /** One galaxy's target at one network, or null where that network does not train on it. */
  target(galaxy: GalaxyEvidence, cls: number | null, mode: CrowdLabelMode, level: Level): number[] | null;
  /** A network's output index for a class, or null where the network never sees it. */
  levelIndex(level: Level, cls: number): number | null;
}

/** Index of the largest value, the first on ties. */
export function argmax(values: readonly number[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v > values[best]!) best = i;
  });
  return best;
}

function hiwlClassOf(galaxy: GalaxyEvidence): HiwlClass | null {
  const label = galaxy.catalogLabel;
  if (label !== null && (HIWL_CLASSES as readonly string[]).includes(label)) return label as HiwlClass;
  return galaxy.votes ? selectClass(galaxy.votes) : null;
}

const hiwl: ClassSet = {
  name: "hiwl",
  classes: HIWL_CLASSES,
  hierarchyModes: ["hierarchical", "flat"],
  classOf(galaxy) {
    const cls = hiwlClassOf(galaxy);
    return cls === null ? null : HIWL_CLASSES.indexOf(cls);
  },
  networks: (mode) => NETWORKS[mode],
  outputs: (level) => LEVEL_CLASSES[level],
  target(galaxy, cls, mode, level) {
    return trainingTarget({ label: cls === null ? null : HIWL_CLASSES[cls]!, votes: galaxy.votes }, mode, level);
  },
  levelIndex(level, cls) {
    const target = levelTarget(level, cls);
    return target === null ? null : target.indexOf(1);
  },
};

/** round, in-between and cigar are all smooth. */
const COARSE_OF_HIWL = HIWL_CLASSES.map((cls) => COARSE_CLASSES.indexOf(coarseClass(cls)));

function coarseLevel(level: Level): void {
  if (level !== "flat") throw new Error(`the coarse classes have no ${level} network`);
}

const coarse: ClassSet = {
  name: "coarse",
  classes: COARSE_CLASSES,
  hierarchyModes: ["flat"],
  classOf(galaxy) {
    const label = galaxy.catalogLabel;
    if (label !== null && isCatalogLabel(label)) return COARSE_CLASSES.indexOf(coarseClass(label));
    const selected = galaxy.votes ? selectClass(galaxy.votes) : null;
    return selected === null ? null : COARSE_OF_HIWL[HIWL_CLASSES.indexOf(selected)]!;
  },
  networks(mode) {
    if (mode !== "flat") throw new Error("the coarse classes are trained flat: there is no hierarchy over three classes");
    return ["flat"];
  },
  outputs: (level) => {
    coarseLevel(level);
    return COARSE_CLASSES;
  },
  // targets.ts's rule with the five classes summed into three.
  target(galaxy, cls, mode, level) {
    coarseLevel(level);
    const distribution = mode === "votes" && galaxy.votes ? classDistribution(galaxy.votes) : null;
    const summed = distribution && COARSE_CLASSES.map((_, c) => HIWL_CLASSES.reduce((sum, h, i) => (COARSE_OF_HIWL[i] === c ? sum + distribution[h] : sum), 0));
    return crowdTarget(summed, cls === null ? null : oneHot(cls, COARSE_CLASSES.length), mode);
  },
  levelIndex: (_level, cls) => cls,
};

export const CLASS_SETS: Readonly<Record<ClassSetName, ClassSet>> = { hiwl, coarse };

/** The class set whose class list a saved model declares. */
export function classSetOf(classes: readonly string[]): ClassSet {
  const set = Object.values(CLASS_SETS).find(
    (s) => s.classes.length === classes.length && s.classes.every((c, i) => c === classes[i]),
  );
  if (!set) throw new Error(`unknown class list: ${classes.join(", ")}`);
  return set;
}
