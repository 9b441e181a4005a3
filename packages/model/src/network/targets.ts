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
 * The loss is categorical cross-entropy on soft targets, -sum(target * log p) over the
 * network's softmax output p; tfjs's categoricalCrossentropy computes that, with p clipped
 * to [1e-7, 1 - 1e-7].
 */
import { argmaxClass, classDistribution, HIWL_CLASSES, type HiwlClass } from "../classes.ts";
import { smoothTarget } from "../label-smoothing.ts";
import type { VoteVector } from "../vote-fractions.ts";
import { levelTarget, levelTrainsOn, type Level } from "./hierarchy.ts";

export const CROWD_LABEL_MODES = ["hard", "smooth", "votes"] as const;
export type CrowdLabelMode = (typeof CROWD_LABEL_MODES)[number];

export const HIWL_LOSS = "categoricalCrossentropy";

export interface GalaxyLabels {
  /** The selected (thresholded) class, or a catalogue's; null when there is none. */
  label: HiwlClass | null;
  /** The 37 cumulative vote fractions, or null without votes. */
  votes: VoteVector | null;
}

/** The target vector for one galaxy in one level's class order, or null when it does not train there. */
export function trainingTarget(galaxy: GalaxyLabels, mode: CrowdLabelMode, level: Level = "flat"): number[] | null {
  if (mode === "votes" && galaxy.votes) {
    const distribution = classDistribution(galaxy.votes);
    if (distribution) {
      if (!levelTrainsOn(level, galaxy.label ?? argmaxClass(distribution))) return null;
      const projected = levelTarget(level, HIWL_CLASSES.map((cls) => distribution[cls]));
      return projected && smoothTarget(projected);
    }
  }
  if (galaxy.label === null) return null;
  const hard = levelTarget(level, HIWL_CLASSES.indexOf(galaxy.label));
  if (hard === null || mode === "hard") return hard;
  return smoothTarget(hard);
}
