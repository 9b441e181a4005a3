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
import { markdownTable, percent } from "./markdown-table.ts";
import { phasedProgress } from "../cli/progress.ts";
import { addModelOptions, cliHooks, modelConfig, type ModelCliOptions } from "../cli/model-options.ts";
import type { TrainConfig } from "../training/config.ts";
import { integer } from "../cli/option-parsers.ts";
import { PRESETS } from "../training/presets.ts";
import { trainModel, type TrainOptions } from "../training/train.ts";
import type { TrainHooks } from "../training/loop.ts";

const ABLATION_DEFAULTS = { count: 2000, votes: 10, catalogSeed: "ablation" };

type AblationSettings = Pick<TrainConfig, "hierarchy" | "weightedSampling" | "targets">;

export interface AblationVariant {
  name: string;
  settings: AblationSettings;
}

const { hierarchy, weightedSampling, targets } = PRESETS.ablation.training;
/** HIWL in full: the ablation preset's. */
const HIWL_SETTINGS: AblationSettings = { hierarchy, weightedSampling, targets };

/** HIWL in full, then each technique replaced by the plain alternative. */
export const ABLATION_VARIANTS: readonly AblationVariant[] = [
  { name: "HIWL", settings: HIWL_SETTINGS },
  { name: "no hierarchy", settings: { ...HIWL_SETTINGS, hierarchy: "flat" } },
  { name: "no weighted sampling", settings: { ...HIWL_SETTINGS, weightedSampling: false } },
  { name: "hard targets", settings: { ...HIWL_SETTINGS, targets: "hard" } },
  { name: "vote targets", settings: { ...HIWL_SETTINGS, targets: "votes" } },
];

export interface AblationRow {
  variant: AblationVariant;
  metrics: ClassificationMetrics;
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
    hooks.log?.(`— ${variant.name}: ${describeSettings(variant.settings)}`);
    const result = await trainModel(db, dataDir, { ...base, ...variant.settings, classes: "hiwl" }, hooks);
    const stored = runMetricsOf(result.modelVersion);
    const row = {
      variant,
      metrics: result.metrics,
      testSetHash: stored.split.testSetHash,
      trainMinutes: stored.timing.trainSeconds / 60,
    };
    rows.push(row);
    onRow?.(row);
  }
  return rows;
}

function describeSettings(s: AblationSettings): string {
  return `hierarchy ${s.hierarchy === "hierarchical" ? "on" : "off"}, weighted sampling ${s.weightedSampling ? "on" : "off"}, ${s.targets} targets`;
}

/** Macro-averaged F1 over the classes. */
export function macroF1(m: ClassificationMetrics): number {
  const f1 = m.classes.map((c) => m.perClass[c]!.f1);
  return f1.reduce((a, b) => a + b, 0) / f1.length;
}

/** A Markdown table: one row per variant, accuracy, macro F1 and each class's recall. */
export function formatAblationTable(rows: readonly AblationRow[]): string {
  const classes = rows[0]?.metrics.classes ?? HIWL_CLASSES;
  const header = ["variant", "hierarchy", "weighted sampling", "targets", "accuracy", "macro F1", ...classes.map((c) => `${c} recall`), "train min"];
  const body = rows.map((r) => [
    r.variant.name,
    r.variant.settings.hierarchy === "hierarchical" ? "on" : "off",
    r.variant.settings.weightedSampling ? "on" : "off",
    r.variant.settings.targets,
    percent(r.metrics.accuracy),
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
}

export function registerBenchAblation(bench: Command) {
  addModelOptions(
    bench
      .command("ablation")
      .description(
        "HIWL's hierarchy, weighted sampling and label smoothing switched off one at a time on a synthetic five-class catalogue " +
          "with simulated votes; prints the full model's held-out scores and a table of every variant",
      )
      .option("--count <n>", "synthetic galaxies in the catalogue", integer("--count", 1), ABLATION_DEFAULTS.count)
      .option("--votes <k>", "simulated volunteer classifications per galaxy", integer("--votes", 1), ABLATION_DEFAULTS.votes)
      .option("--catalog-seed <s>", "seed of the synthetic catalogue", ABLATION_DEFAULTS.catalogSeed)
      .option("--data-dir <dir>", "data directory for the catalogue, cutouts and models (reused when the catalogue is there)", join(tmpdir(), "hiwl-ablation")),
    "ablation",
  ).action(async (opts: BenchAblationCliOptions) => {
    const dataDir = resolve(opts.dataDir);
    await migrate(dataDir);
    const database = createDb({ dataDir });
    const hooks = cliHooks();
    try {
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
      const rows = await runAblation(database, dataDir, { ...modelConfig(opts, "ablation"), backend: opts.backend }, hooks, (row) => {
        hooks.stop();
        console.log("");
        console.log(`${row.variant.name} (${describeSettings(row.variant.settings)}), ${row.trainMinutes.toFixed(1)} min of training`);
        console.log(formatMetrics(row.metrics));
        console.log("");
      });
      console.log(formatAblationTable(rows));
      if (new Set(rows.map((r) => r.testSetHash)).size > 1) console.log("warning: the variants were tested on different galaxies");
    } finally {
      hooks.stop();
      await database.$disconnect();
    }
  });
}
