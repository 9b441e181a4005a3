/**
 * What the trainer records about the active model, made up with known values: its test
 * metrics, its predictions (the gallery's model filters) and its feature map (the dashboard).
 * global-setup.ts stores them; the specs check the pages show exactly these.
 */
import { accuracyByCoverage, argmax, calibrationError, classificationMetrics, HIWL_CLASSES, type HiwlClass } from "@hiwl/model";

/** Test labels and decisions: every class, mostly right, with a few typical confusions. */
const TRUTH = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4];
const DECIDED = [0, 0, 0, 1, 1, 1, 0, 2, 3, 3, 3, 2, 4, 4, 4, 1, 4];

const scores = classificationMetrics(HIWL_CLASSES, TRUTH, DECIDED);

const epochs = (n: number, offset: number) =>
  Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    learningRate: 0.001,
    trainLoss: 1.5 - 0.3 * i + offset,
    trainAccuracy: 0.3 + 0.15 * i,
    valLoss: 1.6 - 0.25 * i + offset,
    valAccuracy: 0.25 + 0.12 * i,
  }));

/**
 * Calibrated test predictions for the reliability diagram: 12 galaxies in every confidence bin
 * a five-class model can reach (from 20%), right a little more often than the confidence says,
 * so that the classify page can quote whichever bin the browser's prediction falls in.
 */
function calibrationRecord() {
  const probabilities: number[][] = [];
  const truth: number[] = [];
  for (let bin = 3; bin < 15; bin++) {
    const confidence = (bin + 0.5) / 15;
    const right = Math.min(12, Math.round(12 * (confidence + 0.05)));
    for (let g = 0; g < 12; g++) {
      const decided = g % HIWL_CLASSES.length;
      probabilities.push(HIWL_CLASSES.map((_, k) => (k === decided ? confidence : (1 - confidence) / (HIWL_CLASSES.length - 1))));
      truth.push(g < right ? decided : (decided + 1) % HIWL_CLASSES.length);
    }
  }
  const { ece, bins } = calibrationError(probabilities, truth);
  const coverage = accuracyByCoverage(probabilities, probabilities.map(argmax), truth, [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]);
  return { temperature: 1.234, eceBefore: 0.0712, eceAfter: ece, bins, coverage };
}

/** ModelVersion.metrics of the active test model, in the trainer's shape (RunMetrics). */
export const RECORDED_METRICS = {
  ...scores,
  macroF1: HIWL_CLASSES.reduce((sum, c) => sum + scores.perClass[c]!.f1, 0) / HIWL_CLASSES.length,
  testGalaxies: scores.count,
  curves: { level1: epochs(4, 0), level2: epochs(3, -0.4) },
  calibration: calibrationRecord(),
};

/**
 * The active model's prediction for the i-th galaxy (newest first): classes in turn, and a
 * top probability from 0.92 down to 0.32 so the uncertainty varies.
 */
export function recordedPrediction(i: number): { predictedClass: HiwlClass; probabilities: Record<HiwlClass, number> } {
  const predictedClass = HIWL_CLASSES[i % HIWL_CLASSES.length]!;
  const top = 0.92 - 0.2 * (i % 4);
  const probabilities = Object.fromEntries(
    HIWL_CLASSES.map((c) => [c, c === predictedClass ? top : (1 - top) / (HIWL_CLASSES.length - 1)]),
  ) as Record<HiwlClass, number>;
  return { predictedClass, probabilities };
}

/** How many of the oldest galaxies the active model has not scored; it scored the others. */
export const UNSCORED_OLDEST = 3;

/** The i-th scored galaxy's place on the feature map. */
export const mapPoint = (i: number) => ({ x: i % 4, y: Math.floor(i / 4) + (i % 2) * 0.3 });

/** The activation policy's decision as the trainer records it for a version it kept inactive. */
export const INACTIVE_DECISION = {
  activate: false,
  reason: "less accurate: 20.00% vs 60.00% for e2e-hierarchical on the same 5 held-out galaxies",
  newAccuracy: 0.2,
  activeVersion: "e2e-hierarchical",
  activeAccuracy: 0.6,
  galaxies: 5,
  decidedAt: "2026-12-01T00:00:00.000Z",
};
