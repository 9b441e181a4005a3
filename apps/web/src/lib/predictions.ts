import type { Prediction } from "@hiwl/db";
import type { HiwlClass } from "@hiwl/model";

/** A stored prediction's five probabilities keyed by class, in the shape @hiwl/model uses. */
export function predictionProbabilities(p: Prediction): Record<HiwlClass, number> {
  return { round: p.pRound, "in-between": p.pInBetween, cigar: p.pCigar, "edge-on": p.pEdgeOn, spiral: p.pSpiral };
}
