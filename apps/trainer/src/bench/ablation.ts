/**
 * `hiwl bench ablation` (`npm run bench:ablation`): HIWL's three techniques switched off one at a
 * time on a synthetic catalogue with all five classes and simulated volunteer votes. Every model
 * is scored on the same held-out galaxies (the split is per class, and "votes" targets only add
 * unclassed galaxies to training), so the rows compare directly.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { seedSynthetic } from "@hiwl/catalog";
import { createDb, migrate, runMetricsOf, type Db } from "@hiwl/db";
import { formatMetrics, HIWL_CLASSES, type ClassificationMetrics } from "@hiwl/model";
import { VIEW_COUNTS, type ViewCount } from "@hiwl/model/inference";
import { markdownTable, percent } from "./markdown-table.ts";
import { phasedProgress } from "../cli/progress.ts";
import { addModelOptions, cliHooks, initFromOption, modelConfig, resolveModel, type ModelCliOptions } from "../cli/model-options.ts";
import type { TrainConfig } from "../training/config.ts";
import { integer } from "../cli/option-parsers.ts";
import { classifyWithModelDir } from "../training/evaluate.ts";
import type { TestGalaxy } from "../training/activation.ts";
import { trainModel, type TrainOptions } from "../training/train.ts";
import type { TrainHooks } from "../training/loop.ts";

const ABLATION_DEFAULTS = { count: 2000, votes: 10, catalogSeed: "ablation" };

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

export interface AblationRow {
  variant: AblationVariant;
  /** The run's settings of those a variant may change, and its model's own test views. */
  settings: AblationSettings & Pick<TrainConfig, "testViews">;
  /** The test scores with the model's own test views. */
  metrics: ClassificationMetrics;
  /** Test accuracy with each number of views per prediction, from the same trained model. */
  accuracyByViews: Record<ViewCount, number>;
  /** RunMetrics.split.testSetHash: equal for every row of one ablation. */
  testSetHash: string;
  trainMinutes: number;
}

/** Trains and scores every variant on the catalogue already in `db`; `onRow` sees each row as it is done. */
export async function runAblation(
  db: Db,
  dataDir: string,
  base: TrainOptions,
  hooks: TrainHooks = {},
  onRow?: (row: AblationRow) => void,
  variants: readonly AblationVariant[] = ABLATION_VARIANTS,
): Promise<AblationRow[]> {
  const rows: AblationRow[] = [];
  for (const variant of variants) {
    hooks.log?.(`— ${variant.name}${Object.keys(variant.change).length === 0 ? ": the recipe as it is" : `: ${describeSettings(variant.change)}`}`);
    const result = await trainModel(db, dataDir, { ...base, ...variant.change, classes: "hiwl" }, hooks);
    const stored = runMetricsOf(result.modelVersion);
    const accuracyByViews = {} as Record<ViewCount, number>;
    for (const views of VIEW_COUNTS) {
      accuracyByViews[views] =
        views === result.config.testViews
          ? result.metrics.accuracy
          : await otherViewsAccuracy(result.dir, result.test, dataDir, views, hooks);
    }
    const { hierarchy, weightedSampling, targets, rotationDegrees, testViews } = result.config;
    const row = {
      variant,
      settings: { hierarchy, weightedSampling, targets, rotationDegrees, testViews },
      metrics: result.metrics,
      accuracyByViews,
      testSetHash: stored.split.testSetHash,
      trainMinutes: stored.timing.trainSeconds / 60,
    };
    rows.push(row);
    onRow?.(row);
  }
  return rows;
}

async function otherViewsAccuracy(
  dir: string,
  test: readonly TestGalaxy[],
  dataDir: string,
  views: ViewCount,
  hooks: TrainHooks,
): Promise<number> {
  const { classified } = await classifyWithModelDir(dir, test, dataDir, { views, onPhase: hooks.onPhase });
  return classified.predicted.filter((p, i) => p === test[i]!.cls).length / test.length;
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

/** A Markdown table: one row per variant, its settings, accuracy with 1 and 8 views, macro F1 and each class's recall. */
export function formatAblationTable(rows: readonly AblationRow[]): string {
  const classes = rows[0]?.metrics.classes ?? HIWL_CLASSES;
  const header = [
    "variant",
    "hierarchy",
    "weighted sampling",
    "targets",
    "rotation",
    "test views",
    ...VIEW_COUNTS.map((v) => `accuracy, ${v} view${v === 1 ? "" : "s"}`),
    "macro F1",
    ...classes.map((c) => `${c} recall`),
    "train min",
  ];
  const body = rows.map((r) => [
    r.variant.name,
    r.settings.hierarchy === "hierarchical" ? "on" : "off",
    r.settings.weightedSampling ? "on" : "off",
    r.settings.targets,
    `±${r.settings.rotationDegrees}°`,
    String(r.settings.testViews),
    ...VIEW_COUNTS.map((v) => percent(r.accuracyByViews[v])),
    percent(macroF1(r.metrics)),
    ...classes.map((c) => percent(r.metrics.perClass[c]!.recall)),
    r.trainMinutes.toFixed(1),
  ]);
  return markdownTable(header, body);
}

interface BenchAblationCliOptions extends ModelCliOptions {
  count: number;
  votes: number;
  catalogSeed: string;
  dataDir: string;
  variants: AblationVariant[];
  initFrom?: string;
}

export function registerBenchAblation(bench: Command) {
  addModelOptions(
    bench
      .command("ablation")
      .description(
        "HIWL's hierarchy, weighted sampling and label smoothing switched off one at a time on a synthetic five-class catalogue " +
          "with simulated votes; prints the full model's held-out scores and a table of every variant, each scored with 1 and with 8 views a galaxy",
      )
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
      const { variants, initFrom, ...model } = opts;
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
      const onRow = (row: AblationRow) => {
        hooks.stop();
        console.log("");
        console.log(`${row.variant.name} (${describeSettings(row.settings)}), ${row.trainMinutes.toFixed(1)} min of training, ${row.settings.testViews} test view(s)`);
        console.log(formatMetrics(row.metrics));
        console.log(VIEW_COUNTS.map((v) => `${v} view(s): ${percent(row.accuracyByViews[v])}`).join(", "));
        console.log("");
      };
      const rows = await runAblation(database, dataDir, base, hooks, onRow, variants);
      console.log(formatAblationTable(rows));
      if (new Set(rows.map((r) => r.testSetHash)).size > 1) console.log("warning: the variants were tested on different galaxies");
    } finally {
      hooks.stop();
      await database.$disconnect();
    }
  });
}
