/**
 * What the API sends about galaxies: the database rows minus storage details (image paths,
 * raw JSON), plus the values the pages need decoded.
 */
import { predictionProbabilities, type Galaxy, type GalaxyDetail, type Prediction } from "@hiwl/db";

export function galaxySummary(g: Galaxy) {
  return {
    id: g.id,
    externalId: g.externalId,
    source: g.source,
    ra: g.ra,
    dec: g.dec,
    catalogLabel: g.catalogLabel,
    classificationCount: g.classificationCount,
    retiredAt: g.retiredAt,
    retirementReason: g.retirementReason,
  };
}

function predictionSummary(p: Prediction) {
  return {
    modelVersionId: p.modelVersionId,
    predictedClass: p.predictedClass,
    probabilities: predictionProbabilities(p),
    createdAt: p.createdAt,
  };
}

export function galaxyDetail(g: GalaxyDetail) {
  return {
    ...galaxySummary(g),
    voteCounts: g.voteCounts,
    voteFractions: g.voteFractions,
    /** The catalogue's own 37 fractions (Kaggle), when it shipped them. */
    priorFractions: g.priorFractions === null ? null : (JSON.parse(g.priorFractions) as number[]),
    latestPrediction: g.latestPrediction && predictionSummary(g.latestPrediction),
  };
}
