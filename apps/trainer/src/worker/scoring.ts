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
  HIWL_CLASSES,
  meanPrediction,
  priorities,
  retirementReason,
  type AcquisitionFunction,
  type HiwlClass,
  type RetirementReason,
  type RetirementRules,
  type Rng,
} from "@hiwl/model";
import { classifyImages, type Classified } from "@hiwl/model/training";
import { loadExampleCutouts } from "../training/dataset.ts";
import { checkFinite, chunk, classifyCutouts, INFERENCE_BATCH, renderBatches } from "../training/evaluate.ts";
import type { Cutouts, ImagePipeline } from "../training/image-pipeline.ts";
import type { LoadedModel } from "../training/model-dir.ts";
import { enableMcDropout } from "./mc-dropout.ts";

/**
 * How `hiwl watch` scores the active galaxies unless told otherwise, and how `hiwl train` does
 * when it activates a model: BALD from 5 MC-dropout passes.
 */
export const SCORING_DEFAULTS = { acquisition: "bald", passes: 5 } as const satisfies { acquisition: AcquisitionFunction; passes: number };

/** Galaxies decoded and held in memory at a time. */
export const SCORING_CHUNK = 2048;

export type OnPhase = (phase: string, done: number, total: number) => void;

export interface PredictOptions {
  /** For the cutout cache; image paths are relative to it. */
  dataDir: string;
  /** null: predictions only. */
  acquisition: AcquisitionFunction | null;
  /**
   * Forward passes per galaxy. 1 is plain inference; more turn MC dropout on in the model (for
   * good: load it for scoring) and store the mean of the passes.
   */
  passes: number;
  /** Draws the "random" acquisition (default: a fixed seed). */
  rng?: Rng;
  onPhase?: OnPhase;
}

export type ScoredPrediction = PredictionInput & { acquisition: number | null };

/** Predictions for `galaxies`, in their order. */
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
  const passes = options.acquisition === "random" ? 1 : options.passes;
  if (passes > 1 && enableMcDropout(model.networks) === 0) {
    throw new Error(`${model.metadata.version} has no dropout layers: MC passes would all be the same`);
  }
  const { inputSize, hierarchy } = model.metadata;
  const out: ScoredPrediction[] = [];
  for (const part of chunk(galaxies, SCORING_CHUNK)) {
    const examples = part.map((g) => ({ galaxyId: g.id, imagePath: g.imagePath }));
    const cutouts = await loadExampleCutouts(examples, inputSize, options.dataDir, (d, t) => options.onPhase?.("decode", d, t));
    const indices = part.map((_, i) => i);
    const progress = (done: number) => options.onPhase?.("score", out.length + done, galaxies.length);
    const runs: Classified[] =
      passes === 1
        ? [await classifyCutouts(model.set, hierarchy, model.networks, pipeline, cutouts, indices, inputSize, progress)]
        : await samplePasses(model, pipeline, cutouts, indices, passes, progress);
    part.forEach((g, i) => {
      const samples = runs.map((r) => r.probabilities[i]!);
      const mean = meanPrediction(samples);
      out.push({
        galaxyId: g.id,
        probabilities: Object.fromEntries(HIWL_CLASSES.map((cls, k) => [cls, mean[k]!])) as Record<HiwlClass, number>,
        predictedClass: HIWL_CLASSES[majorityDecision(runs.map((r) => r.decisions[i]!), mean)]!,
        acquisition: options.acquisition === null ? null : acquisitionScore(options.acquisition, samples, rng),
      });
    });
  }
  return out;
}

/** Throws unless `passes` suits the acquisition function. */
export function checkPasses(acquisition: AcquisitionFunction | null, passes: number): void {
  if (!Number.isInteger(passes) || passes < 1) throw new Error(`passes must be an integer >= 1, got ${passes}`);
  // BALD is the disagreement between passes: one pass has none to measure.
  if (acquisition === "bald" && passes < 2) throw new Error("BALD needs at least 2 passes");
}

/** T stochastic passes over the same rendered batches: one Classified per pass, each in `indices` order. */
async function samplePasses(
  model: LoadedModel,
  pipeline: ImagePipeline,
  cutouts: Cutouts,
  indices: readonly number[],
  passes: number,
  onProgress: (done: number) => void,
): Promise<Classified[]> {
  const runs: Classified[] = Array.from({ length: passes }, () => ({ probabilities: [], decisions: [] }));
  const { inputSize, hierarchy } = model.metadata;
  let done = 0;
  await renderBatches(pipeline, cutouts, chunk(indices, INFERENCE_BATCH), inputSize, () => null, async (images) => {
    for (const run of runs) {
      const pass = checkFinite(await classifyImages(model.set, hierarchy, model.networks, images, inputSize));
      run.probabilities.push(...pass.probabilities);
      run.decisions.push(...pass.decisions);
    }
    done += images.length / (inputSize * inputSize * 3);
    onProgress(done);
  });
  return runs;
}

/**
 * The hierarchical decision most passes made; ties go to the class with the higher mean
 * probability. (With one pass, that pass's decision.)
 */
function majorityDecision(decisions: readonly number[], mean: readonly number[]): number {
  const votes = new Map<number, number>();
  for (const d of decisions) votes.set(d, (votes.get(d) ?? 0) + 1);
  let best = decisions[0]!;
  for (const [d, n] of votes) {
    const lead = votes.get(best)!;
    if (n > lead || (n === lead && mean[d]! > mean[best]!)) best = d;
  }
  return best;
}

export interface ScoreOptions {
  dataDir: string;
  acquisition: AcquisitionFunction;
  passes: number;
  /** Seeds the "random" acquisition and the priority jitter, with the model version. */
  seed?: number;
  source?: string;
  retirement?: RetirementRules;
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
  const predictions = await predictGalaxies(model, pipeline, galaxies, { ...options, rng });
  const scoresOf = predictions.map((p) => p.acquisition!);
  const priority = priorities(scoresOf, rng);
  const retired: Partial<Record<RetirementReason, number>> = {};
  const scores: GalaxyScore[] = predictions.map((p, i) => {
    const galaxy = galaxies[i]!;
    const reason = retirementReason(
      {
        classifications: galaxy.classificationCount,
        voteFractions: galaxy.voteFractions,
        prediction: p.probabilities,
        acquisition: p.acquisition,
      },
      options.retirement,
    );
    if (reason !== null) retired[reason] = (retired[reason] ?? 0) + 1;
    return { ...p, acquisition: p.acquisition!, priority: priority[i]!, retirement: reason };
  });
  return {
    scores,
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
