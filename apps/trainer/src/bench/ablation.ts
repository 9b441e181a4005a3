/**
 * `hiwl bench ablation` (`npm run bench:ablation`): HIWL's techniques switched off one at a time
 * on a synthetic catalogue with all five classes and simulated volunteer votes, each variant
 * trained with several seeds (one seed moves a row by several points on these 145 test
 * galaxies). Every model is scored on the same held-out galaxies (the split is per class, and
 * "votes" targets only add unclassed galaxies to training), so the rows, and the seeds, pair.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { seedSynthetic } from "@hiwl/catalog";
import { createDb, migrate, runMetricsOf, type Db } from "@hiwl/db";
import { classificationMetrics, formatMetrics, HIWL_CLASSES, type ClassificationMetrics } from "@hiwl/model";
import { VIEW_COUNTS, type ViewCount } from "@hiwl/model/inference";
import { meanInterval } from "./intervals.ts";
import { markdownTable, percent } from "./markdown-table.ts";
import { phasedProgress } from "../cli/progress.ts";
import { addModelOptions, cliHooks, initFromOption, modelConfig, resolveModel, type ModelCliOptions } from "../cli/model-options.ts";
import { resolveTrainConfig, type TrainConfig } from "../training/config.ts";
import { integer } from "../cli/option-parsers.ts";
import { classifyWithModelDir } from "../training/evaluate.ts";
import type { TestGalaxy } from "../training/activation.ts";
import { trainModel, type TrainOptions } from "../training/train.ts";
import type { TrainHooks } from "../training/loop.ts";

const ABLATION_DEFAULTS = { count: 2000, votes: 10, catalogSeed: "ablation", seeds: 5 };

/** What a row may change from the recipe it runs with. */
type AblationSettings = Pick<TrainConfig, "hierarchy" | "weightedSampling" | "targets" | "rotationDegrees">;

export interface AblationVariant {
  name: string;
  /** The settings it changes from the recipe's (none for the recipe as it is). */
  change: Partial<AblationSettings>;
}

/**
 * The recipe as it is (with the ablation preset: HIWL in full), then each technique replaced by
 * the plain alternative, and the training views turned at any angle instead of HIWL's ±25°.
 */
export const ABLATION_VARIANTS: readonly AblationVariant[] = [
  { name: "HIWL", change: {} },
  { name: "no hierarchy", change: { hierarchy: "flat" } },
  { name: "no weighted sampling", change: { weightedSampling: false } },
  { name: "hard targets", change: { targets: "hard" } },
  { name: "vote targets", change: { targets: "votes" } },
  { name: "any rotation", change: { rotationDegrees: 180 } },
];

/** `npm run bench:ablation` runs these unless --variants names others: the table of docs/benchmarks.md. */
export const DEFAULT_ABLATION_VARIANTS = ABLATION_VARIANTS.filter((v) => v.name !== "any rotation").map((v) => v.name);

/** One variant trained with one seed and scored on the held-out galaxies. */
export interface AblationRun {
  variant: AblationVariant;
  seed: number;
  /** The run's settings of those a variant may change, and its model's own test views. */
  settings: AblationSettings & Pick<TrainConfig, "testViews">;
  /** The test scores with the model's own test views. */
  metrics: ClassificationMetrics;
  /** Test accuracy with each number of views per prediction, from the same trained model. */
  accuracyByViews: Record<ViewCount, number>;
  /** RunMetrics.split.testSetHash: equal for every run of one ablation. */
  testSetHash: string;
  trainMinutes: number;
}

/**
 * Trains and scores every variant with every seed on the catalogue already in `db`, seed by
 * seed, so that an interrupted ablation still pairs every variant with the first on each seed
 * it finished; `onRun` sees each run as it is done.
 */
export async function runAblation(
  db: Db,
  dataDir: string,
  base: TrainOptions,
  { variants = ABLATION_VARIANTS, seeds = [resolveTrainConfig(base).seed], hooks = {}, onRun }: AblationOptions = {},
): Promise<AblationRun[]> {
  const runs: AblationRun[] = [];
  for (const seed of seeds) {
    for (const variant of variants) {
      hooks.log?.(`— ${variant.name}, seed ${seed}${Object.keys(variant.change).length === 0 ? ": the recipe as it is" : `: ${describeSettings(variant.change)}`}`);
      const result = await trainModel(db, dataDir, { ...base, ...variant.change, seed, classes: "hiwl" }, hooks);
      const stored = runMetricsOf(result.modelVersion);
      const accuracyByViews = {} as Record<ViewCount, number>;
      for (const views of VIEW_COUNTS) {
        accuracyByViews[views] =
          views === result.config.testViews ? result.metrics.accuracy : await otherViewsAccuracy(result.dir, result.test, dataDir, views, hooks);
      }
      const { hierarchy, weightedSampling, targets, rotationDegrees, testViews } = result.config;
      const run = {
        variant,
        seed,
        settings: { hierarchy, weightedSampling, targets, rotationDegrees, testViews },
        metrics: result.metrics,
        accuracyByViews,
        testSetHash: stored.split.testSetHash,
        trainMinutes: stored.timing.trainSeconds / 60,
      };
      runs.push(run);
      onRun?.(run);
    }
  }
  return runs;
}

export interface AblationOptions {
  variants?: readonly AblationVariant[];
  /** Each variant is trained once per seed (default: the seed the base's settings resolve to). */
  seeds?: readonly number[];
  hooks?: TrainHooks;
  onRun?: (run: AblationRun) => void;
}

async function otherViewsAccuracy(
  dir: string,
  test: readonly TestGalaxy[],
  dataDir: string,
  views: ViewCount,
  hooks: TrainHooks,
): Promise<number> {
  const { metadata, classified } = await classifyWithModelDir(dir, test, dataDir, { views, onPhase: hooks.onPhase });
  return classificationMetrics(metadata.classes, test.map((g) => g.cls), classified.predicted).accuracy;
}

/** The variants named in a comma-separated list, in its order; an unknown name is refused with the names there are. */
export function ablationVariantsNamed(list: string): AblationVariant[] {
  return list.split(",").map((name) => {
    const variant = ABLATION_VARIANTS.find((v) => v.name === name.trim());
    if (!variant) throw new Error(`--variants: no variant "${name.trim()}"; there are ${ABLATION_VARIANTS.map((v) => `"${v.name}"`).join(", ")}`);
    return variant;
  });
}

function describeSettings(s: Partial<AblationSettings>): string {
  const parts = [
    s.hierarchy && `hierarchy ${s.hierarchy === "hierarchical" ? "on" : "off"}`,
    s.weightedSampling !== undefined && `weighted sampling ${s.weightedSampling ? "on" : "off"}`,
    s.targets && `${s.targets} targets`,
    s.rotationDegrees !== undefined && `training views within ±${s.rotationDegrees}°`,
  ];
  return parts.filter(Boolean).join(", ");
}

/** Macro-averaged F1 over the classes. */
export function macroF1(m: ClassificationMetrics): number {
  const f1 = m.classes.map((c) => m.perClass[c]!.f1);
  return f1.reduce((a, b) => a + b, 0) / f1.length;
}

/** The runs by variant, in the order the variants first ran. */
function byVariant(runs: readonly AblationRun[]): AblationRun[][] {
  const groups = new Map<string, AblationRun[]>();
  for (const run of runs) {
    const group = groups.get(run.variant.name);
    if (group) group.push(run);
    else groups.set(run.variant.name, [run]);
  }
  return [...groups.values()];
}

/** A mean over seeds, with its 95% interval from two seeds on. */
function meanCell(values: readonly number[], format: (x: number) => string): string {
  const { mean, low, high } = meanInterval(values);
  return values.length < 2 ? format(mean) : `${format(mean)} (${format(low)} to ${format(high)})`;
}

const points = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;

/**
 * A Markdown table, one row per variant: its settings, then means over its seeds (with 95%
 * intervals from two seeds on) of the accuracy with 1 and with 8 views, of its difference from
 * the first row on the same seeds (with the model's own views: the comparison the seeds pair),
 * of what 8 views gain over 1 from the same models, of macro F1 and of each class's recall,
 * and of the training minutes.
 */
export function formatAblationTable(runs: readonly AblationRun[]): string {
  const groups = byVariant(runs);
  const classes = runs[0]?.metrics.classes ?? HIWL_CLASSES;
  const first = new Map((groups[0] ?? []).map((r) => [r.seed, r.metrics.accuracy]));
  const header = [
    "variant",
    "hierarchy",
    "weighted sampling",
    "targets",
    "rotation",
    "test views",
    "seeds",
    ...VIEW_COUNTS.map((v) => `accuracy, ${v} view${v === 1 ? "" : "s"}`),
    "against the first row (points)",
    ...VIEW_COUNTS.slice(1).map((v) => `${v} views against 1 (points)`),
    "macro F1",
    ...classes.map((c) => `${c} recall`),
    "train min",
  ];
  const body = groups.map((group, g) => {
    const { variant, settings } = group[0]!;
    const paired = group.filter((r) => first.has(r.seed)).map((r) => r.metrics.accuracy - first.get(r.seed)!);
    return [
      variant.name,
      settings.hierarchy === "hierarchical" ? "on" : "off",
      settings.weightedSampling ? "on" : "off",
      settings.targets,
      `±${settings.rotationDegrees}°`,
      String(settings.testViews),
      String(group.length),
      ...VIEW_COUNTS.map((v) => meanCell(group.map((r) => r.accuracyByViews[v]), percent)),
      g === 0 || paired.length === 0 ? "" : meanCell(paired, points),
      ...VIEW_COUNTS.slice(1).map((v) => meanCell(group.map((r) => r.accuracyByViews[v] - r.accuracyByViews[1]), points)),
      percent(meanInterval(group.map((r) => macroF1(r.metrics))).mean),
      ...classes.map((c) => percent(meanInterval(group.map((r) => r.metrics.perClass[c]!.recall)).mean)),
      meanInterval(group.map((r) => r.trainMinutes)).mean.toFixed(1),
    ];
  });
  return markdownTable(header, body);
}

/** A Markdown table of each seed's test accuracy per variant, with 1 view / with 8. */
export function formatAblationSeeds(runs: readonly AblationRun[]): string {
  const groups = byVariant(runs);
  const seeds = [...new Set(runs.map((r) => r.seed))];
  const cell = (run: AblationRun | undefined) => (run ? VIEW_COUNTS.map((v) => percent(run.accuracyByViews[v])).join(" / ") : "");
  return markdownTable(
    ["seed", ...groups.map((g) => `${g[0]!.variant.name} (${VIEW_COUNTS.join(" / ")} views)`)],
    seeds.map((seed) => [String(seed), ...groups.map((g) => cell(g.find((r) => r.seed === seed)))]),
  );
}

interface BenchAblationCliOptions extends ModelCliOptions {
  count: number;
  votes: number;
  catalogSeed: string;
  dataDir: string;
  variants: AblationVariant[];
  seeds: number;
  initFrom?: string;
}

export function registerBenchAblation(bench: Command) {
  addModelOptions(
    bench
      .command("ablation")
      .description(
        "HIWL's hierarchy, weighted sampling and label smoothing switched off one at a time on a synthetic five-class catalogue " +
          "with simulated votes, each variant trained with several seeds; prints each run's held-out scores, then a table of every " +
          "variant's means over the seeds with their 95% intervals, scored with 1 and with 8 views a galaxy, and each seed's accuracy",
      )
      .option("--seeds <n>", `seeds per variant, from --seed on (a single seed moves a row by several points)`, integer("--seeds", 1), ABLATION_DEFAULTS.seeds)
      .option(
        "--variants <names>",
        `comma-separated rows, each the recipe (--preset) with one change: ${ABLATION_VARIANTS.map((v) => `"${v.name}"`).join(", ")} (default: ${DEFAULT_ABLATION_VARIANTS.map((n) => `"${n}"`).join(", ")})`,
        ablationVariantsNamed,
        ablationVariantsNamed(DEFAULT_ABLATION_VARIANTS.join(",")),
      )
      .option("--count <n>", "synthetic galaxies in the catalogue", integer("--count", 1), ABLATION_DEFAULTS.count)
      .option("--votes <k>", "simulated volunteer classifications per galaxy", integer("--votes", 1), ABLATION_DEFAULTS.votes)
      .option("--catalog-seed <s>", "seed of the synthetic catalogue", ABLATION_DEFAULTS.catalogSeed)
      .option("--data-dir <dir>", "data directory for the catalogue, cutouts and models (reused when the catalogue is there)", join(tmpdir(), "hiwl-ablation"))
      .addOption(initFromOption()),
    "ablation",
    { choosable: true },
  ).action(async (opts: BenchAblationCliOptions) => {
    const dataDir = resolve(opts.dataDir);
    await migrate(dataDir);
    const database = createDb({ dataDir });
    const hooks = cliHooks();
    try {
      const { variants, seeds, initFrom, ...model } = opts;
      // Before the catalogue is rendered, so that a wrong --init-from fails at once.
      const base = {
        ...modelConfig(model, "ablation"),
        backend: opts.backend,
        ...(initFrom !== undefined && { initFrom: (await resolveModel(database, initFrom)).dir }),
      };
      const progress = phasedProgress();
      try {
        const seeded = await seedSynthetic(
          database,
          { count: opts.count, votes: opts.votes, seed: opts.catalogSeed, onProgress: progress.onProgress },
          dataDir,
        );
        progress.stop();
        console.log(`synthetic catalogue "${opts.catalogSeed}" in ${dataDir}: ${seeded.added} galaxies rendered, ${seeded.skipped} already there`);
      } finally {
        progress.stop();
      }
      const onRun = (run: AblationRun) => {
        hooks.stop();
        console.log("");
        console.log(
          `${run.variant.name}, seed ${run.seed} (${describeSettings(run.settings)}), ${run.trainMinutes.toFixed(1)} min of training, ${run.settings.testViews} test view(s)`,
        );
        console.log(formatMetrics(run.metrics));
        console.log(VIEW_COUNTS.map((v) => `${v} view(s): ${percent(run.accuracyByViews[v])}`).join(", "));
        console.log("");
      };
      const first = resolveTrainConfig(base).seed;
      const runs = await runAblation(database, dataDir, base, {
        variants,
        seeds: Array.from({ length: seeds }, (_, i) => first + i),
        hooks,
        onRun,
      });
      console.log(formatAblationTable(runs));
      console.log("");
      console.log(formatAblationSeeds(runs));
      if (new Set(runs.map((r) => r.testSetHash)).size > 1) console.log("warning: the variants were tested on different galaxies");
    } finally {
      hooks.stop();
      await database.$disconnect();
    }
  });
}
