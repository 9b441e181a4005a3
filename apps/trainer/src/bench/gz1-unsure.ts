/**
 * The second real check beside Galaxy Zoo 1's accuracy: does the model's confidence mean
 * anything on galaxies the volunteers themselves could not place? The sample keeps 56 galaxies
 * whose plurality answer was "don't know" and 115 "merger" ones. Neither maps to a class the
 * model learns, so none of them trains it; a model whose probabilities say how sure it can be
 * should be less sure of them than of the test galaxies, and least of the ones it gets wrong
 * or the ones nobody could classify. Accuracy on the test galaxies cannot show this.
 */
import { join } from "node:path";
import { readCsv } from "@hiwl/catalog";
import type { Db } from "@hiwl/db";
import { loadDataset, loadExampleCutouts } from "../training/dataset.ts";
import { classifyCutouts } from "../training/evaluate.ts";
import type { ImagePipeline } from "../training/image-pipeline.ts";
import { loadModelDir, readJson } from "../training/model-dir.ts";
import { RUN_FILE, type RunFile } from "../training/train.ts";
import { markdownTable, percent } from "./markdown-table.ts";

/** A calibrated probability this high is "sure" (the classify page's "very likely" and above). */
export const SURE = 0.8;

export interface ConfidenceGroup {
  name: string;
  galaxies: number;
  /** Mean probability of the decided class. */
  meanConfidence: number;
  /** Share of the group decided with at least SURE. */
  sure: number;
}

/** The groups' galaxies, classified by the model in `dir`; `unplaced` names each galaxy volunteers could not place by its answer. */
export async function confidenceByGroup(
  db: Db,
  dataDir: string,
  dir: string,
  pipeline: ImagePipeline,
  unplaced: readonly { galaxyId: number; imagePath: string; answer: string }[],
): Promise<ConfidenceGroup[]> {
  const run = await readJson<RunFile>(join(dir, RUN_FILE));
  const dataset = await loadDataset(db, run.config);
  const test = dataset.split.test.map((i) => dataset.examples[i]!).filter((e) => e.cls !== null);
  const everyGalaxy = [...test, ...unplaced];
  const cutouts = await loadExampleCutouts(everyGalaxy, run.config.inputSize, dataDir);
  const model = await loadModelDir(dir);
  let classified;
  try {
    classified = await classifyCutouts(model, pipeline, cutouts, everyGalaxy.map((_, i) => i));
  } finally {
    model.dispose();
  }
  const confidence = classified.probabilities.map((p, i) => p[classified.predicted[i]!]!);
  const group = (name: string, members: readonly number[]): ConfidenceGroup => ({
    name,
    galaxies: members.length,
    meanConfidence: members.reduce((sum, i) => sum + confidence[i]!, 0) / Math.max(1, members.length),
    sure: members.filter((i) => confidence[i]! >= SURE).length / Math.max(1, members.length),
  });
  const testIndices = test.map((_, i) => i);
  const right = testIndices.filter((i) => classified.predicted[i] === test[i]!.cls);
  const answers = [...new Set(unplaced.map((g) => g.answer))].sort();
  return [
    group("test galaxies", testIndices),
    group("  classified right", right),
    group("  classified wrong", testIndices.filter((i) => !right.includes(i))),
    ...answers.map((answer) =>
      group(
        `volunteers said "${answer}"`,
        unplaced.flatMap((g, k) => (g.answer === answer ? [test.length + k] : [])),
      ),
    ),
  ];
}

/**
 * Galaxy Zoo 1's galaxies without a class, each with the answer its labels file gives it: the
 * imported galaxies whose catalogue label is empty, matched to labels.csv by their object id.
 */
export function unplacedGalaxies(
  imported: readonly { id: number; externalId: string; imagePath: string }[],
  labelsCsv: string,
  idColumn: string,
  labelColumn: string,
): { galaxyId: number; imagePath: string; answer: string }[] {
  const table = readCsv(labelsCsv);
  const [id, label] = [table.header.indexOf(idColumn), table.header.indexOf(labelColumn)];
  if (id < 0 || label < 0) throw new Error(`${labelsCsv}: expected the columns ${idColumn} and ${labelColumn}, found ${table.header.join(", ")}`);
  const answers = new Map(table.rows.map((r) => [r.fields[id]!, r.fields[label]!]));
  return imported.map((g) => {
    const answer = answers.get(g.externalId);
    if (answer === undefined) throw new Error(`${labelsCsv} has no row for galaxy ${g.externalId}`);
    return { galaxyId: g.id, imagePath: g.imagePath, answer };
  });
}

export function formatConfidenceGroups(groups: readonly ConfidenceGroup[]): string {
  return [
    "how sure the model is, by what the volunteers said",
    markdownTable(
      ["galaxies", "count", "mean confidence", `decided with >= ${percent(SURE)}`],
      groups.map((g) => [g.name, String(g.galaxies), percent(g.meanConfidence), percent(g.sure)]),
    ),
  ].join("\n");
}
