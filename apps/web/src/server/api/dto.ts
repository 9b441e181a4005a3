/**
 * What the API sends about galaxies: the database rows minus storage details (image paths),
 * plus the values the pages need decoded.
 *
 * No answers before the answer: a galaxy still being classified is sent to volunteers as its
 * id and vote count only. Its catalogue identity and label, the catalogue's and the crowd's
 * vote fractions, the consensus and the model's prediction are revealed once it retires, to
 * researchers always, and to a volunteer in the response to their own submission.
 */
import {
  predictedClassOf,
  predictionProbabilities,
  storedConsensus,
  type Galaxy,
  type GalaxyDetail,
  type GalleryGalaxy,
  type Prediction,
} from "@hiwl/db";

function predictionSummary(p: Prediction) {
  return {
    modelVersionId: p.modelVersionId,
    predictedClass: p.predictedClass,
    probabilities: predictionProbabilities(p),
    uncertainty: p.uncertainty,
    createdAt: p.createdAt,
  };
}

/** A galaxy as its volunteers may see it before it retires: its image (by content hash) and vote count. */
function hiddenGalaxy(g: Pick<Galaxy, "id" | "imageHash" | "classificationCount">) {
  return { revealed: false as const, id: g.id, imageHash: g.imageHash, classificationCount: g.classificationCount, retiredAt: null };
}

/** Everything about a galaxy: for researchers, retired galaxies, and a volunteer's own submission. */
export function galaxyDetail(g: GalaxyDetail) {
  return {
    revealed: true as const,
    id: g.id,
    imageHash: g.imageHash,
    externalId: g.externalId,
    source: g.source,
    ra: g.ra,
    dec: g.dec,
    catalogLabel: g.catalogLabel,
    classificationCount: g.classificationCount,
    retiredAt: g.retiredAt,
    retirementReason: g.retirementReason,
    consensus: storedConsensus(g.consensus),
    voteCounts: g.voteCounts,
    voteFractions: g.voteFractions,
    /** The catalogue's own 37 fractions (Kaggle), when it shipped them. */
    priorFractions: g.priorFractions,
    /** The active model version's prediction. */
    prediction: g.activePrediction && predictionSummary(g.activePrediction),
  };
}

export type GalaxyView = ReturnType<typeof hiddenGalaxy> | ReturnType<typeof galaxyDetail>;

/** Whether this viewer may see what the volunteers and the model said about the galaxy. */
const isRevealed = (g: Pick<Galaxy, "retiredAt">, researcher: boolean) => researcher || g.retiredAt !== null;

export function galaxyView(g: GalaxyDetail, researcher: boolean): GalaxyView {
  return isRevealed(g, researcher) ? galaxyDetail(g) : hiddenGalaxy(g);
}

/** One gallery tile: labels, consensus and prediction only where they are revealed. */
export function galleryItem(g: GalleryGalaxy, researcher: boolean) {
  const revealed = isRevealed(g, researcher);
  const p = revealed ? g.activePrediction : null;
  return {
    id: g.id,
    imageHash: g.imageHash,
    revealed,
    externalId: revealed ? g.externalId : null,
    classificationCount: g.classificationCount,
    retired: g.retiredAt !== null,
    consensus: revealed ? g.consensus : null,
    /** The active model's prediction, if it scored the galaxy. */
    predicted: p && { predictedClass: predictedClassOf(p), uncertainty: p.uncertainty },
  };
}
