/**
 * Scoring runs: a model's predictions for galaxies, with an acquisition score from T passes,
 * and for the active-learning loop the queue priorities and retirements that follow from them.
 */
import {
  activeGalaxiesForScoring,
  type Db,
  type GalaxyScore,
  type PredictionInput,
  type ScoringGalaxy,
} from "@hiwl/db";
import {
  acquisitionScore,
  createRng,
  expectedVotesToRetire,
  HIWL_CLASSES,
  priorities,
  retirementReason,
  type AcquisitionFunction,
  type HiwlClass,
  type RetirementInput,
  type RetirementReason,
  type RetirementRules,
  type Rng,
} from "@hiwl/model";
import { loadExampleCutouts } from "../training/dataset.ts";
import { chunk, classifyCutouts, withClassifier } from "../training/evaluate.ts";
import type { ImagePipeline } from "../training/image-pipeline.ts";
import type { LoadedModel } from "../training/model-dir.ts";
import { featureMapSample, type FeatureMapSample } from "./feature-map.ts";

/** Galaxies decoded and held in memory at a time. */
const SCORING_CHUNK = 2048;

export type OnPhase = (phase: string, done: number, total: number) => void;

export interface PredictOptions {
  /** For the cutout cache; image paths are relative to it. */
  dataDir: string;
  /** null: predictions only. */
  acquisition: AcquisitionFunction | null;
  /**
   * Monte Carlo dropout passes per galaxy for the acquisition score (BALD needs 2 or more);
   * 1: the acquisition is computed from the prediction itself. The stored prediction is always
   * the model's deterministic one, as every page shows it.
   */
  passes: number;
  /** Draws the "random" acquisition (default: a fixed seed). */
  rng?: Rng;
  /** Galaxies whose pooled features to keep from the same pass (the feature map's sample). */
  embed?: ReadonlySet<number>;
  onPhase?: OnPhase;
}

export type ScoredPrediction = PredictionInput & {
  acquisition: number | null;
  /** The first network's pooled features, for galaxies in `embed`. */
  embedding?: number[];
};

/** Predictions for `galaxies`, in their order: Model.classify, with Model.sample for the acquisition. */
export async function predictGalaxies(
  model: LoadedModel,
  pipeline: ImagePipeline,
  galaxies: readonly Pick<ScoringGalaxy, "id" | "imagePath">[],
  options: PredictOptions,
): Promise<ScoredPrediction[]> {
  if (model.set.name !== "hiwl") {
    throw new Error(`Prediction rows hold the five HIWL classes; this model predicts ${model.set.classes.join(", ")}`);
  }
  checkPasses(options.acquisition, options.passes);
  const rng = options.rng ?? createRng("acquisition");
  const passes = options.acquisition === null || options.acquisition === "random" ? 1 : options.passes;
  const embed = options.embed ?? new Set<number>();
  const out: ScoredPrediction[] = [];
  // One set of model copies for every chunk: starting them costs about as much as classifying a thousand.
  await withClassifier(model, galaxies.length, async (classifier) => {
    for (const part of chunk(galaxies, SCORING_CHUNK)) {
      const examples = part.map((g) => ({ galaxyId: g.id, imagePath: g.imagePath }));
      const cutouts = await loadExampleCutouts(examples, model.shape.inputSize, options.dataDir, (d, t) => options.onPhase?.("decode", d, t));
      const run = await classifyCutouts(
        classifier,
        pipeline,
        cutouts,
        part.map((_, i) => i),
        {
          embed: part.some((g) => embed.has(g.id)),
          passes: passes > 1 ? passes : 0,
          onProgress: (done) => options.onPhase?.("score", out.length + done, galaxies.length),
        },
      );
      part.forEach((g, i) => {
        const probabilities = run.probabilities[i]!;
        out.push({
          galaxyId: g.id,
          probabilities: Object.fromEntries(HIWL_CLASSES.map((cls, k) => [cls, probabilities[k]!])) as Record<HiwlClass, number>,
          predictedClass: HIWL_CLASSES[run.predicted[i]!]!,
          acquisition: options.acquisition === null ? null : acquisitionScore(options.acquisition, run.samples?.[i] ?? [probabilities], rng),
          ...(embed.has(g.id) && { embedding: run.embeddings![i]! }),
        });
      });
    }
  });
  return out;
}

/** The pooled features the predictions carry, by galaxy id. */
export const featuresOf = (predictions: readonly ScoredPrediction[]): Map<number, number[]> =>
  new Map(predictions.flatMap((p) => (p.embedding ? [[p.galaxyId, p.embedding] as const] : [])));

/** Throws unless `passes` suits the acquisition function. */
export function checkPasses(acquisition: AcquisitionFunction | null, passes: number): void {
  if (!Number.isInteger(passes) || passes < 1) throw new Error(`passes must be an integer >= 1, got ${passes}`);
  // BALD is the disagreement between passes: one pass has none to measure.
  if (acquisition === "bald" && passes < 2) throw new Error("BALD needs at least 2 passes");
}

/** How a scoring run orders the queue: the worker's, a job's and bench:al's settings. */
export interface ScoringSettings {
  acquisition: AcquisitionFunction;
  passes: number;
  /**
   * Queue priority = acquisition score / the votes the galaxy is expected to take before the
   * retirement rules retire it (expectedVotesToRetire): information per classification, not
   * per galaxy. Off, and for random order: the score alone.
   */
  perVote?: boolean;
  /** Seeds the "random" acquisition and the priority jitter, with the model version. */
  seed?: number;
  retirement?: RetirementRules;
  /** Which scored galaxies' features to keep for the feature map (null: none). */
  featureMap?: FeatureMapSample | null;
}

export interface ScoreOptions extends ScoringSettings {
  dataDir: string;
  source?: string;
  onPhase?: OnPhase;
}

export interface ScoreSummary {
  scored: number;
  retired: Partial<Record<RetirementReason, number>>;
  /** Highest and lowest acquisition score of the run. */
  acquisition: { min: number; max: number } | null;
}

/** "60 galaxies scored, retired 3 consensus, 1 count", for the CLI. */
export function formatScoreSummary(summary: ScoreSummary): string {
  const retired = Object.entries(summary.retired).map(([reason, n]) => `${n} ${reason}`);
  return `${summary.scored} galaxies scored, ${retired.length > 0 ? `retired ${retired.join(", ")}` : "none retired"}`;
}

export interface ScoringRun {
  /** One per active galaxy, for activateWithScores. */
  scores: GalaxyScore[];
  summary: ScoreSummary;
  /** The pooled features of the feature map's sample, from the scoring pass itself. */
  features: Map<number, number[]>;
}

/**
 * The active-learning step of a new model: predicts every active galaxy with its acquisition
 * score, the queue priorities that follow from the scores and the retirements the rules allow.
 * Nothing is written: the run takes effect with activateWithScores, which makes the model
 * active together with it (see training/activation.ts).
 */
export async function scoreActiveGalaxies(
  db: Db,
  model: LoadedModel,
  modelVersionId: number,
  pipeline: ImagePipeline,
  options: ScoreOptions,
): Promise<ScoringRun> {
  const galaxies = await activeGalaxiesForScoring(db, options.source === undefined ? {} : { source: options.source });
  const rng = createRng(`scoring:${modelVersionId}:${options.seed ?? 0}`);
  const embed = options.featureMap === null ? new Set<number>() : featureMapSample(galaxies.map((g) => g.id), options.featureMap);
  const predictions = await predictGalaxies(model, pipeline, galaxies, { ...options, rng, embed });
  const scoresOf = predictions.map((p) => p.acquisition!);
  const retirementInput = (p: ScoredPrediction, galaxy: ScoringGalaxy): RetirementInput => ({
    classifications: galaxy.classificationCount,
    voteFractions: galaxy.voteFractions,
    prediction: p.probabilities,
    acquisition: p.acquisition,
  });
  // A galaxy the rules retire now costs no vote; it leaves the queue whatever its priority.
  const perVote = (p: ScoredPrediction, i: number) =>
    p.acquisition! / Math.max(1, expectedVotesToRetire(retirementInput(p, galaxies[i]!), options.retirement));
  // Random order stays random: a random score per vote would favour the cheap galaxies.
  const priority = priorities(options.perVote && options.acquisition !== "random" ? predictions.map(perVote) : scoresOf, rng);
  const retired: Partial<Record<RetirementReason, number>> = {};
  const scores: GalaxyScore[] = predictions.map((p, i) => {
    const reason = retirementReason(retirementInput(p, galaxies[i]!), options.retirement);
    if (reason !== null) retired[reason] = (retired[reason] ?? 0) + 1;
    const { embedding: _, ...prediction } = p;
    return { ...prediction, acquisition: p.acquisition!, priority: priority[i]!, retirement: reason };
  });
  return {
    scores,
    features: featuresOf(predictions),
    summary: {
      scored: scores.length,
      retired,
      acquisition:
        scoresOf.length === 0
          ? null
          : { min: scoresOf.reduce((a, b) => Math.min(a, b)), max: scoresOf.reduce((a, b) => Math.max(a, b)) },
    },
  };
}
