/**
 * Classification metrics the trainer records with every model version and the dashboard
 * draws: overall accuracy, per-class precision / recall / F1, and the confusion matrix
 * (rows: true class, columns: predicted class).
 */
export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of test examples of this class. */
  readonly support: number;
}

export interface ClassificationMetrics {
  readonly classes: readonly string[];
  readonly accuracy: number;
  readonly perClass: Readonly<Record<string, ClassMetrics>>;
  readonly confusion: readonly (readonly number[])[];
  readonly count: number;
}

export function classificationMetrics(
  classes: readonly string[],
  truth: readonly number[],
  predicted: readonly number[],
): ClassificationMetrics {
  if (truth.length !== predicted.length) {
    throw new Error(`metrics: ${truth.length} true labels but ${predicted.length} predictions`);
  }
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    if (t < 0 || t >= k || p < 0 || p >= k) throw new Error(`metrics: class index out of range at ${i}`);
    confusion[t]![p]!++;
  });
  let correct = 0;
  const perClass: Record<string, ClassMetrics> = {};
  classes.forEach((cls, c) => {
    const tp = confusion[c]![c]!;
    correct += tp;
    const support = confusion[c]!.reduce((s, x) => s + x, 0);
    const predictedAs = confusion.reduce((s, row) => s + row[c]!, 0);
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[cls] = { precision, recall, f1, support };
  });
  return { classes, accuracy: truth.length > 0 ? correct / truth.length : 0, perClass, confusion, count: truth.length };
}

/** The metrics as a fixed-width text table for the CLI and docs/benchmarks.md. */
export function formatMetrics(m: ClassificationMetrics): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const width = Math.max(10, ...m.classes.map((c) => c.length));
  const lines = [
    `overall accuracy ${pct(m.accuracy)} on ${m.count} held-out galaxies`,
    "",
    `${"class".padEnd(width)}  precision     recall         F1   support`,
    ...m.classes.map((c) => {
      const r = m.perClass[c]!;
      return `${c.padEnd(width)}  ${pct(r.precision).padStart(9)}  ${pct(r.recall).padStart(9)}  ${pct(r.f1).padStart(9)}  ${String(r.support).padStart(8)}`;
    }),
    "",
    `confusion (rows: true, columns: predicted)`,
    `${"".padEnd(width)}  ${m.classes.map((c) => c.slice(0, 8).padStart(8)).join(" ")}`,
    ...m.confusion.map((row, i) => `${m.classes[i]!.padEnd(width)}  ${row.map((x) => String(x).padStart(8)).join(" ")}`),
  ];
  return lines.join("\n");
}

export interface CoveragePoint {
  /** Share of the galaxies kept: those the model is surest of. */
  coverage: number;
  count: number;
  /** The lowest top-class probability among them. */
  minConfidence: number;
  accuracy: number;
}

/**
 * Accuracy on the galaxies the model is surest of (its probability for the class it decided),
 * at each coverage: how many galaxies a project could leave to the model at a given accuracy,
 * and how much of the error sits in the galaxies the model finds ambiguous.
 */
export function accuracyByCoverage(
  probabilities: readonly (readonly number[])[],
  decisions: readonly number[],
  truth: readonly number[],
  coverages: readonly number[] = [1, 0.9, 0.8, 0.7, 0.6, 0.5],
): CoveragePoint[] {
  if (probabilities.length !== truth.length || decisions.length !== truth.length) {
    throw new Error(`coverage: ${truth.length} true labels, ${decisions.length} decisions and ${probabilities.length} probability rows`);
  }
  if (truth.length === 0) return [];
  const order = truth
    .map((t, i) => ({ confidence: probabilities[i]![decisions[i]!]!, correct: decisions[i] === t }))
    .sort((a, b) => b.confidence - a.confidence);
  return coverages.map((coverage) => {
    if (!(coverage > 0 && coverage <= 1)) throw new Error(`coverage must be in (0, 1], got ${coverage}`);
    const kept = order.slice(0, Math.max(1, Math.round(coverage * order.length)));
    return {
      coverage,
      count: kept.length,
      minConfidence: kept.at(-1)!.confidence,
      accuracy: kept.filter((g) => g.correct).length / kept.length,
    };
  });
}

export function formatCoverage(points: readonly CoveragePoint[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    "accuracy on the galaxies the model is surest of",
    "coverage  galaxies  min confidence  accuracy",
    ...points.map(
      (p) => `${pct(p.coverage).padStart(8)}  ${String(p.count).padStart(8)}  ${p.minConfidence.toFixed(3).padStart(14)}  ${pct(p.accuracy).padStart(8)}`,
    ),
  ].join("\n");
}
