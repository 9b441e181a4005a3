/**
 * THE activation policy, the one `hiwl train` and the training worker (`hiwl watch`) share:
 * whether a newly trained model version becomes the one the site serves, and the order of
 * steps that keeps the site consistent while it changes.
 *
 * A new version becomes active when there is no active version, when the active one cannot be
 * evaluated (its directory is gone or does not load, or it does not predict the five HIWL
 * classes), or when the new version is at least as accurate as the active one on the new
 * version's held-out test galaxies. Both are loaded from their directories, as the site loads them, each with its
 * own input size, and scored here on the same galaxies: the accuracies recorded at training
 * time come from different test splits once the labelled set has grown, which it does between
 * any two of the worker's jobs. A tie goes to the new version, trained on more votes. The
 * active version may have trained on some of these galaxies (the split is redrawn as the set
 * grows), which can only favour it: the policy errs towards the model already serving.
 * Models of other class sets never become active: the site shows five probabilities.
 *
 * Activating means: score every active galaxy with the new version (predictions, acquisition
 * scores, queue priorities, retirements), then activateWithScores, which stores the
 * predictions while they are still invisible and switches the version together with the
 * priorities and retirements in one transaction. Until that transaction the previous version
 * stays active and serving, so a failure at any step leaves it so.
 */
import { existsSync } from "node:fs";
import {
  activateWithScores,
  getActiveModelVersion,
  setModelVersionMetric,
  storedPath,
  type ActivationDecision,
  type Db,
  type ModelVersion,
} from "@hiwl/db";
import { classificationMetrics } from "@hiwl/model";
import { loadExampleCutouts } from "./dataset.ts";
import { classifyCutouts, withClassifier } from "./evaluate.ts";
import type { ImagePipeline } from "./image-pipeline.ts";
import { loadModelDir, type LoadedModel } from "./model-dir.ts";
import type { TrainResult } from "./train.ts";
import { scoreActiveGalaxies, type OnPhase, type ScoreSummary, type ScoringSettings } from "../worker/scoring.ts";

/** A held-out galaxy of a training run, with its true class (an index into HIWL_CLASSES for a 5-class run). */
export interface TestGalaxy {
  galaxyId: number;
  imagePath: string;
  cls: number;
}

/** What the policy decided for a new version; stored as its metrics.activation (the stored contract). */
export type { ActivationDecision };

/** The part of a training run the policy reads. */
export type Candidate = Pick<TrainResult, "version" | "dir" | "modelVersion" | "config" | "test">;

export interface DecideOptions {
  /** true: activate whatever the comparison says (still scoring first: --activate); false: never (--no-activate); absent: the policy. */
  force?: boolean;
  /** For the cutout cache; image paths are relative to it. */
  dataDir: string;
  pipeline: ImagePipeline;
  onPhase?: OnPhase;
}

export interface ActivationOptions extends DecideOptions {
  scoring: ScoringSettings;
  log?: (line: string) => void;
  /** Awaited after each step: the decision, then (when activating) the scoring run, before it takes effect. */
  onStep?: (step: ActivationStep) => void | Promise<void>;
}

export type ActivationStep = { type: "decided"; decision: ActivationDecision } | { type: "scored"; scoring: ScoreSummary };

export interface ActivationOutcome {
  decision: ActivationDecision;
  /** The new version as it now stands: active or not, its decision in its metrics. */
  modelVersion: ModelVersion;
  /** The scoring run that came with the activation. */
  scoring: ScoreSummary | null;
  /** The feature map's sample of features from that run (by galaxy id), when asked for. */
  features: Map<number, number[]> | null;
}

/** A step of deciding or activating that failed; the message names the step. The previous version stays active. */
export class ActivationError extends Error {
  override readonly name = "ActivationError";
}

/** Refuses, before any training, a forced activation the policy can never carry out. */
export function checkForcedActivation(classes: string, force: boolean | undefined): void {
  if (force === true && classes !== "hiwl") {
    throw new Error("only models of the five HIWL classes can be active: the site stores 5-class predictions");
  }
}

/**
 * Decides whether `candidate` becomes active (see the top of this file). Evaluating the new
 * version doubles as its check: reloaded from its directory it must be the trained version
 * and give valid probabilities, or this throws and nothing changes. Writes nothing.
 */
export async function decideActivation(db: Db, candidate: Candidate, options: DecideOptions): Promise<ActivationDecision> {
  const decidedAt = new Date().toISOString();
  const none = { newAccuracy: null, activeVersion: null, activeAccuracy: null, galaxies: 0, decidedAt };
  if (options.force === false) return { activate: false, reason: "--no-activate", ...none };
  checkForcedActivation(candidate.config.classes, options.force);
  if (candidate.config.classes !== "hiwl") {
    return { activate: false, reason: `${candidate.config.classes} models cannot be the site's model: it shows the five HIWL classes`, ...none };
  }
  const galaxies = candidate.test;
  const newAccuracy = await step(`verifying ${candidate.version}`, () =>
    withModel(loadModelDir(candidate.dir), (model) => {
      if (model.set.name !== "hiwl") {
        throw new Error(`${candidate.dir} predicts ${model.set.classes.join(", ")}, not the five HIWL classes`);
      }
      if (model.metadata.version !== candidate.version) {
        throw new Error(`${candidate.dir} holds ${model.metadata.version}, not ${candidate.version}`);
      }
      return testAccuracy(model, galaxies, options, "verify", true);
    }),
  );
  const active = await getActiveModelVersion(db);
  const decision = (activate: boolean, reason: string, activeAccuracy: number | null = null): ActivationDecision => ({
    activate: activate || options.force === true,
    reason: options.force === true ? `--activate (${reason})` : reason,
    newAccuracy,
    activeVersion: active?.version ?? null,
    activeAccuracy,
    galaxies: galaxies.length,
    decidedAt,
  });
  if (!active) return decision(true, "first model");
  const loaded = await loadActive(active, options.dataDir);
  if (typeof loaded === "string") return decision(true, `the active version ${active.version} cannot be evaluated: ${loaded}`);
  const activeAccuracy = await step(`evaluating the active version ${active.version}`, () =>
    withModel(loaded, (model) => testAccuracy(model, galaxies, options, "compare", false)),
  );
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const versus = `${pct(newAccuracy)} vs ${pct(activeAccuracy)} for ${active.version} on the same ${galaxies.length} held-out galaxies`;
  return newAccuracy >= activeAccuracy
    ? decision(true, `at least as accurate: ${versus}`, activeAccuracy)
    : decision(false, `less accurate: ${versus}`, activeAccuracy);
}

/**
 * The whole policy for a version just trained and registered (inactive): decides, records the
 * decision in its metrics.activation, and when it says so scores every active galaxy with the
 * version and makes it active with its scores. A failed step throws an ActivationError naming
 * it, records it in the decision, and leaves the previous version active and serving.
 */
export async function applyActivationPolicy(db: Db, candidate: Candidate, options: ActivationOptions): Promise<ActivationOutcome> {
  const log = options.log ?? (() => {});
  const id = candidate.modelVersion.id;
  const decision = await decideActivation(db, candidate, options);
  const recorded = await setModelVersionMetric(db, id, "activation", decision);
  const next = decision.activate ? "will be activated once it has scored the active galaxies" : "stays inactive";
  log(`${candidate.version} ${next}: ${decision.reason}`);
  await options.onStep?.({ type: "decided", decision });
  if (!decision.activate) return { decision, modelVersion: recorded, scoring: null, features: null };
  try {
    // A fresh copy: scoring with MC passes turns dropout on in the model for good.
    const scoring = { ...options.scoring, dataDir: options.dataDir, onPhase: options.onPhase };
    const run = await step(`scoring with ${candidate.version}`, () =>
      withModel(loadModelDir(candidate.dir), (model) => scoreActiveGalaxies(db, model, id, options.pipeline, scoring)),
    );
    await options.onStep?.({ type: "scored", scoring: run.summary });
    await step(`activating ${candidate.version}`, async () => {
      options.onPhase?.("store", 0, run.scores.length);
      await activateWithScores(db, id, run.scores);
      options.onPhase?.("store", run.scores.length, run.scores.length);
    });
    log(`${candidate.version} is now the active version; it scored ${run.summary.scored} galaxies`);
    // activateWithScores switched it: the row as recorded, but active.
    return { decision, modelVersion: { ...recorded, active: true }, scoring: run.summary, features: run.features };
  } catch (error) {
    // The original error is the one to report; a failure to record it only gets a line.
    await setModelVersionMetric(db, id, "activation", { ...decision, failed: message(error) }).catch((recording: unknown) =>
      log(`could not record the failed activation in ${candidate.version}'s metrics: ${message(recording)}`),
    );
    throw error;
  }
}

/**
 * The active version's model, or why it cannot be evaluated. A version the policy cannot
 * compare with cannot hold a better model back: the site needs a model it can reason about.
 */
async function loadActive(active: ModelVersion, dataDir: string): Promise<LoadedModel | string> {
  const dir = storedPath(active.path, dataDir);
  if (!existsSync(dir)) return `its directory ${dir} is missing`;
  let model: LoadedModel;
  try {
    model = await loadModelDir(dir);
  } catch (error) {
    return message(error);
  }
  if (model.set.name !== "hiwl") {
    model.dispose();
    return `it predicts ${model.set.classes.join(", ")}, not the five HIWL classes`;
  }
  return model;
}

/** A model's accuracy on the test galaxies; with `check`, throws unless every probability vector sums to 1. */
async function testAccuracy(
  model: LoadedModel,
  galaxies: readonly TestGalaxy[],
  options: DecideOptions,
  phase: string,
  check: boolean,
): Promise<number> {
  const cutouts = await loadExampleCutouts(galaxies, model.shape.inputSize, options.dataDir);
  const { probabilities, predicted } = await withClassifier(model, galaxies.length, (classifier) =>
    classifyCutouts(classifier, options.pipeline, cutouts, galaxies.map((_, i) => i), {
      onProgress: (done, total) => options.onPhase?.(phase, done, total),
    }),
  );
  // classifyCutouts has refused non-finite outputs; what is left to check is that they sum to 1.
  if (check) {
    probabilities.forEach((p, i) => {
      const sum = p.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-3) {
        throw new Error(`the reloaded model gives invalid probabilities for galaxy ${galaxies[i]!.galaxyId}: [${p.join(", ")}]`);
      }
    });
  }
  return classificationMetrics(model.set.classes, galaxies.map((g) => g.cls), predicted).accuracy;
}

/** Runs `use` on a model and disposes of it afterwards, whatever happens. */
async function withModel<T>(loading: LoadedModel | Promise<LoadedModel>, use: (model: LoadedModel) => Promise<T>): Promise<T> {
  const model = await loading;
  try {
    return await use(model);
  } finally {
    model.dispose();
  }
}

/** Runs one step, turning its failure into an ActivationError that names it. */
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ActivationError) throw error;
    throw new ActivationError(`${name} failed: ${message(error)}`, { cause: error });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
