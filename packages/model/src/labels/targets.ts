/**
 * Training targets from crowd labels, for any level of the hierarchy.
 *
 * Modes, and which galaxies each trains on:
 * - `hard`: the one-hot of the galaxy's class. Trains on galaxies with a class: one selected by
 *   the HIWL thresholds (selectClass) or given by a catalogue.
 * - `smooth`: HIWL's label smoothing of that one-hot, clamp to [eps/(K-1), 1-eps] with
 *   eps = 0.05 and K the level's class count. Same galaxies as `hard`.
 * - `votes`: the crowd's 5-class distribution (classDistribution of the vote fractions)
 *   projected onto the level and floored with the same smoothing, so no class gets zero and
 *   log p stays bounded. Trains on every galaxy with votes (most pass no threshold, so this
 *   uses far more data); a galaxy without votes falls back to its `smooth` label. Level 2 takes
 *   a galaxy when its class (its label, else the argmax of its distribution) is cigar or edge-on.
 *
 * Smoothing happens after the projection onto a level because HIWL smooths each network's own
 * K-way output: the binary level 2 gets [0.95, 0.05], not a renormalised 5-class floor.
 *
 * Label smoothing is HIWL's: target = clamp(target, eps/(K-1), 1-eps), eps = 0.05 as in the
 * authors' code, then renormalised so that a smoothed crowd distribution stays a distribution.
 *
 * The loss is categorical cross-entropy on soft targets, -sum(target * log p) over the
 * network's softmax output p; tfjs's categoricalCrossentropy computes that, with p clipped
 * to [1e-7, 1 - 1e-7].
 */
import type { VoteVector } from "../tree/vote-fractions.ts";
import { argmaxClass, classDistribution, HIWL_CLASSES, type HiwlClass } from "./classes.ts";
import { levelTarget, levelTrainsOn, type Level } from "./hierarchy.ts";

export const CROWD_LABEL_MODES = ["hard", "smooth", "votes"] as const;
export type CrowdLabelMode = (typeof CROWD_LABEL_MODES)[number];

export const HIWL_LOSS = "categoricalCrossentropy";

export const LABEL_SMOOTHING_EPS = 0.05;

export function smoothTarget(target: readonly number[], eps = LABEL_SMOOTHING_EPS): number[] {
  const k = target.length;
  if (k < 2) throw new Error("label smoothing needs at least two classes");
  const lo = eps / (k - 1);
  const hi = 1 - eps;
  const clamped = target.map((t) => Math.min(hi, Math.max(lo, t)));
  const sum = clamped.reduce((x, y) => x + y, 0);
  return clamped.map((t) => t / sum);
}

export function oneHot(index: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => (i === index ? 1 : 0));
}

/**
 * The rule every class list shares, given a galaxy's crowd distribution and its one-hot class
 * already in the network's outputs (either null where it has none): `votes` takes the
 * distribution, else the one-hot, smoothed unless `hard`.
 */
export function crowdTarget(distribution: readonly number[] | null, hard: number[] | null, mode: CrowdLabelMode): number[] | null {
  if (mode === "votes" && distribution) return smoothTarget(distribution);
  if (hard === null || mode === "hard") return hard;
  return smoothTarget(hard);
}

export interface GalaxyLabels {
  /** The selected (thresholded) class, or a catalogue's; null when there is none. */
  label: HiwlClass | null;
  /** The 37 cumulative vote fractions, or null without votes. */
  votes: VoteVector | null;
}

/** The target vector for one galaxy in one level's class order, or null when it does not train there. */
export function trainingTarget(galaxy: GalaxyLabels, mode: CrowdLabelMode, level: Level = "flat"): number[] | null {
  const distribution = mode === "votes" && galaxy.votes ? classDistribution(galaxy.votes) : null;
  if (distribution) {
    if (!levelTrainsOn(level, galaxy.label ?? argmaxClass(distribution))) return null;
    const projected = levelTarget(level, HIWL_CLASSES.map((cls) => distribution[cls]));
    return projected && crowdTarget(projected, null, mode);
  }
  return crowdTarget(null, galaxy.label === null ? null : levelTarget(level, HIWL_CLASSES.indexOf(galaxy.label)), mode);
}
