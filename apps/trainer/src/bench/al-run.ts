/**
 * The active-learning benchmark (issue #6): simulated volunteers classify a synthetic catalogue
 * whose truth is known, through the platform's own code — the queue (nextGalaxy), submissions,
 * retirement, training, and the scoring run that sets the queue's priorities — in rounds with a
 * retrained model between them, once per strategy, each in its own fresh database. After every
 * round the model is scored against the truth of a held-out set that volunteers never see.
 */
import { cp, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { SYNTHETIC_SOURCE, seedSynthetic, synthetic } from "@hiwl/catalog";
import {
  activateWithScores,
  createDb,
  ensureVolunteer,
  migrate,
  nextGalaxy,
  retireGalaxies,
  runMetricsOf,
  submitClassification,
  syntheticTruthOf,
  type Db,
} from "@hiwl/db";
import {
  ACQUISITION_FUNCTIONS,
  classificationMetrics,
  createRng,
  DEFAULT_RETIREMENT,
  HIWL_CLASSES,
  type AcquisitionFunction,
  type HiwlClass,
  type RetirementRules,
  type Rng,
} from "@hiwl/model";
import type { BackendChoice } from "@hiwl/tfjs";
import { resolveTrainConfig, type TrainConfigInput } from "../training/config.ts";
import { presetScoring, type PresetScoring } from "../training/presets.ts";
import { loadExampleCutouts } from "../training/dataset.ts";
import { ImagePipeline } from "../training/image-pipeline.ts";
import { loadModelDir } from "../training/model-dir.ts";
import { trainModel } from "../training/train.ts";
import { predictGalaxies, scoreActiveGalaxies } from "../worker/scoring.ts";

/**
 * Random queue order with the platform's own retirement rules: beside "random" (random order
 * and Zooniverse's fixed count), it tells the saving of the queue's order from the saving of
 * early retirement.
 */
export const RANDOM_WITH_RULES = "random+rules";

/**
 * An acquisition function's order per expected vote to retirement (ScoringSettings.perVote):
 * the galaxies uncertainty prefers are the contested ones, which take the full count of votes.
 */
const PER_VOTE = "-per-vote";
type PerVoteStrategy = `${Exclude<AcquisitionFunction, "random">}${typeof PER_VOTE}`;

/** "random" is the baseline: random queue order and Zooniverse's fixed count; the others retire by the platform's rules. */
export const STRATEGIES = [...ACQUISITION_FUNCTIONS, RANDOM_WITH_RULES, "entropy-per-vote", "margin-per-vote", "bald-per-vote"] as const satisfies readonly (
  | AcquisitionFunction
  | typeof RANDOM_WITH_RULES
  | PerVoteStrategy
)[];
export type Strategy = (typeof STRATEGIES)[number];

/** The strategy that orders the queue as `scoring` does (random order stays random, per vote or not). */
export function scoringStrategy({ acquisition, perVote }: Pick<PresetScoring, "acquisition" | "perVote">): Strategy {
  return perVote && acquisition !== "random" ? `${acquisition}${PER_VOTE}` : acquisition;
}

/** What the platform runs: both baselines and the worker's queue order (the others on request, --strategies). */
export const DEFAULT_STRATEGIES: readonly Strategy[] = ["random", RANDOM_WITH_RULES, scoringStrategy(presetScoring("worker"))];

/** The baseline retires on count alone: no consensus or model-confident early retirement. */
export const COUNT_RETIREMENT: RetirementRules = {
  ...DEFAULT_RETIREMENT,
  consensusShare: Number.POSITIVE_INFINITY,
  modelConfidence: Number.POSITIVE_INFINITY,
};

export function strategyRetirement(strategy: Strategy): RetirementRules {
  return strategy === "random" ? COUNT_RETIREMENT : DEFAULT_RETIREMENT;
}

/** The order the strategy's queue is scored in. */
export function strategyAcquisition(strategy: Strategy): AcquisitionFunction {
  if (strategy === RANDOM_WITH_RULES) return "random";
  return strategyPerVote(strategy) ? (strategy.slice(0, -PER_VOTE.length) as AcquisitionFunction) : (strategy as AcquisitionFunction);
}

export function strategyPerVote(strategy: Strategy): boolean {
  return strategy.endsWith(PER_VOTE);
}

export interface AlBenchOptions {
  /** Galaxies volunteers can be served. */
  pool: number;
  /** Galaxies rendered for the held-out set; those whose truth has a HIWL class are scored. */
  heldOut: number;
  /** Classifications per strategy. */
  budget: number;
  /** Retraining rounds; the budget is split evenly over them. */
  rounds: number;
  /** Simulated volunteers. */
  crowd: number;
  /** Forward passes per galaxy for BALD (MC dropout); the other acquisition functions use one. */
  passes: number;
  /** Repeats with different volunteer and training seeds; the report averages them. */
  seeds: number;
  /** The seeds run are firstSeed, firstSeed + 1, ...: seeds can run side by side and be merged. */
  firstSeed: number;
  strategies: readonly Strategy[];
  training: TrainConfigInput & { backend?: BackendChoice };
  /** Each round after the first starts from the previous round's weights instead of from scratch. */
  warmStart: boolean;
  /** Scratch directory for the databases, images and models; removed at the end. */
  workDir: string;
  log?: (line: string) => void;
}

export interface RoundResult {
  round: number;
  /** Classifications stored in the strategy's database after the round. */
  classifications: number;
  /** Galaxies with at least one classification. */
  classified: number;
  /** Galaxies the model trained, validated and tested on (those whose votes give a class). */
  labelled: number;
  retired: number;
  /** On the held-out set's truth. */
  accuracy: number;
}

export interface StrategyRun {
  strategy: Strategy;
  seed: number;
  rounds: RoundResult[];
  seconds: number;
}

interface Catalogue {
  dir: string;
  /** Held-out galaxies with a true class. */
  heldOut: { id: number; imagePath: string; cls: HiwlClass }[];
  crowd: synthetic.SimulatedVolunteer[];
}

/**
 * Renders the pool and the held-out set once into `dir`; each strategy run starts from a copy.
 * Catalogue labels are cleared, so that the model learns from the volunteers' votes alone, and
 * the held-out galaxies are retired, so that the queue never serves them and scoring skips them.
 */
async function prepareCatalogue(dir: string, options: AlBenchOptions): Promise<Catalogue> {
  await mkdir(dir, { recursive: true });
  await migrate(dir);
  const db = createDb({ dataDir: dir });
  try {
    const progress = (what: string) => (phase: string, done: number, total: number) => {
      if (done === total) options.log?.(`${what}: ${phase} ${done}/${total}`);
    };
    await seedSynthetic(db, { count: options.pool, seed: "al-pool", onProgress: progress("pool") }, dir);
    await seedSynthetic(db, { count: options.heldOut, seed: "al-test", onProgress: progress("held-out") }, dir);
    // The synthetic catalogue names its galaxies `<seed>-<index>`.
    const rows = await db.galaxy.findMany({
      where: { source: SYNTHETIC_SOURCE, externalId: { startsWith: "al-test-" } },
      orderBy: { id: "asc" },
    });
    const ids = rows.map((g) => g.id);
    const heldOut = rows.flatMap((g) =>
      g.catalogLabel === null ? [] : [{ id: g.id, imagePath: g.imagePath, cls: g.catalogLabel as HiwlClass }],
    );
    await retireGalaxies(db, ids.map((galaxyId) => ({ galaxyId, reason: "held-out" })));
    await db.galaxy.updateMany({ data: { catalogLabel: null } });

    const crowd = Array.from({ length: options.crowd }, (_, i) => synthetic.createSimulatedVolunteer(`al-${i}`));
    for (const v of crowd) await ensureVolunteer(db, v.seed, { simulated: true });
    // Decoded once here rather than once per strategy.
    const all = await db.galaxy.findMany({ select: { id: true, imagePath: true }, orderBy: { id: "asc" } });
    await loadExampleCutouts(
      all.map((g) => ({ galaxyId: g.id, imagePath: g.imagePath })),
      resolveTrainConfig(options.training).inputSize,
      dir,
    );
    return { dir, heldOut, crowd };
  } finally {
    await db.$disconnect();
  }
}

/**
 * One simulated volunteer asks the queue for a galaxy, classifies it from its truth, and the
 * galaxy retires if the rules say so. Returns false when no volunteer has anything left.
 */
async function classifyOne(db: Db, crowd: readonly synthetic.SimulatedVolunteer[], rules: RetirementRules, rng: Rng): Promise<boolean> {
  for (let attempt = 0; attempt < crowd.length; attempt++) {
    const volunteer = crowd[Math.floor(rng() * crowd.length)]!;
    const galaxy = await nextGalaxy(db, volunteer.seed, { random: rng });
    if (!galaxy) continue;
    const truth = syntheticTruthOf(galaxy);
    const at = new Date();
    // Retired by the submission when the rules say so; nextGalaxy stands in for the hand-out.
    await submitClassification(
      db,
      {
        volunteerId: volunteer.seed,
        galaxyId: galaxy.id,
        answers: synthetic.answerWalk(volunteer, truth, rng),
        startedAt: at,
        finishedAt: at,
        userAgent: "hiwl bench al",
      },
      { requireHandout: false, rules },
    );
    return true;
  }
  return false;
}

/** One strategy from a copy of the prepared catalogue, in its own data directory. */
async function runStrategy(
  catalogue: Catalogue,
  strategy: Strategy,
  seed: number,
  options: AlBenchOptions,
): Promise<StrategyRun> {
  const started = Date.now();
  const dir = join(options.workDir, `${strategy}-${seed}`);
  await rm(dir, { recursive: true, force: true });
  await cp(catalogue.dir, dir, { recursive: true });
  // The catalogue code resolves relative image paths against it.
  process.env.HIWL_DATA_DIR = dir;
  const db = createDb({ dataDir: dir });
  const pipeline = await ImagePipeline.start();
  const rules = strategyRetirement(strategy);
  const rng = createRng(`al-bench:${strategy}:${seed}`);
  const truth = catalogue.heldOut.map((g) => HIWL_CLASSES.indexOf(g.cls));
  const rounds: RoundResult[] = [];
  try {
    let submitted = 0;
    let previous: string | null = null;
    for (let round = 1; round <= options.rounds; round++) {
      const target = Math.round((options.budget * round) / options.rounds);
      while (submitted < target && (await classifyOne(db, catalogue.crowd, rules, rng))) submitted++;
      const initFrom = options.warmStart ? previous : null;
      const result = await trainModel(db, dir, { ...options.training, seed, initFrom });
      previous = result.dir;
      const model = await loadModelDir(result.dir);
      try {
        const predictions = await predictGalaxies(model, pipeline, catalogue.heldOut, { dataDir: dir, acquisition: null, passes: 1 });
        const decided = predictions.map((p) => HIWL_CLASSES.indexOf(p.predictedClass));
        const { split } = runMetricsOf(result.modelVersion);
        rounds.push({
          round,
          classifications: await db.classification.count(),
          classified: await db.galaxy.count({ where: { classificationCount: { gt: 0 } } }),
          labelled: split.train + split.val + split.test,
          retired: await db.galaxy.count({ where: { retirementReason: { notIn: ["held-out"] } } }),
          accuracy: classificationMetrics(HIWL_CLASSES, truth, decided).accuracy,
        });
        const r = rounds.at(-1)!;
        options.log?.(
          `${strategy} seed ${seed} round ${round}/${options.rounds}: ${r.classifications} classifications, ` +
            `${r.labelled} labelled galaxies, ${r.retired} retired, held-out accuracy ${(100 * r.accuracy).toFixed(1)}%`,
        );
        if (round < options.rounds) {
          // Each round's model drives the next round's queue, better or not (the benchmark
          // measures the strategy, not the activation policy): activated with its scores as
          // the worker would activate it.
          const run = await scoreActiveGalaxies(db, model, result.modelVersion.id, pipeline, {
            dataDir: dir,
            acquisition: strategyAcquisition(strategy),
            perVote: strategyPerVote(strategy),
            passes: strategyAcquisition(strategy) === "bald" ? options.passes : 1,
            seed,
            retirement: rules,
          });
          await activateWithScores(db, result.modelVersion.id, run.scores);
        }
      } finally {
        model.dispose();
      }
      if (submitted < target) {
        options.log?.(`${strategy} seed ${seed}: the queue ran dry at ${submitted} classifications`);
        break;
      }
    }
  } finally {
    await pipeline.close();
    await db.$disconnect();
    await rm(dir, { recursive: true, force: true });
  }
  return { strategy, seed, rounds, seconds: (Date.now() - started) / 1000 };
}

/** Every strategy for every seed, from one prepared catalogue. */
export async function runAlBench(options: AlBenchOptions): Promise<{ heldOut: number; runs: StrategyRun[] }> {
  const catalogue = await prepareCatalogue(join(options.workDir, "catalogue"), options);
  options.log?.(`held-out set: ${catalogue.heldOut.length} galaxies with a true class`);
  const runs: StrategyRun[] = [];
  try {
    for (let seed = options.firstSeed; seed < options.firstSeed + options.seeds; seed++) {
      for (const strategy of options.strategies) runs.push(await runStrategy(catalogue, strategy, seed, options));
    }
  } finally {
    await rm(options.workDir, { recursive: true, force: true });
  }
  return { heldOut: catalogue.heldOut.length, runs };
}
