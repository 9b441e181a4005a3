/**
 * `hiwl import kaggle`: the Galaxy Zoo Challenge format (training_solutions_rev1.csv:
 * GalaxyID + the 37 Class columns; images <GalaxyID>.jpg). The fractions become the galaxy's
 * prior crowd votes, and the HIWL selection rules give its catalogue label.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "@hiwl/db";
import { ANSWER_IDS, checkCumulative, kaggleColumn, selectClass } from "@hiwl/model";
import { commitImport, type ImportEntry, type ImportProgress, type ImportResult } from "./commit.ts";
import { readCsv } from "./csv.ts";
import { ImportError } from "./import-error.ts";

export const KAGGLE_SOURCE = "kaggle";

export interface KaggleImportOptions {
  readonly solutions: string;
  readonly images: string;
  /** How far a question's fractions may stray from what the tree implies. */
  readonly tolerance?: number;
  readonly onProgress?: ImportProgress;
}

/** Parses and validates the whole file; throws one ImportError listing every bad row. */
export function readKaggleSolutions(options: KaggleImportOptions): ImportEntry[] {
  const table = readCsv(options.solutions);
  const problems: string[] = [];
  const columns = ANSWER_IDS.map(kaggleColumn);
  const [idColumn, ...valueColumns] = table.header;
  if (idColumn !== "GalaxyID") problems.push(`line 1: first column is "${idColumn ?? ""}", expected "GalaxyID"`);
  const missing = columns.filter((c) => !valueColumns.includes(c));
  const unknown = valueColumns.filter((c) => !columns.includes(c));
  if (missing.length) problems.push(`line 1: missing column(s) ${missing.join(", ")}`);
  if (unknown.length) problems.push(`line 1: unknown column(s) ${unknown.join(", ")}`);
  if (problems.length) throw new ImportError(options.solutions, problems);

  // Columns may come in any order; read each answer from where the header puts it.
  const position = columns.map((c) => table.header.indexOf(c));
  const seen = new Map<string, number>();
  const entries: ImportEntry[] = [];
  for (const { line, fields } of table.rows) {
    const at = `line ${line}`;
    if (fields.length !== table.header.length) {
      problems.push(`${at}: ${fields.length} fields, expected ${table.header.length}`);
      continue;
    }
    const id = fields[0]!;
    if (!/^\d+$/.test(id)) {
      problems.push(`${at}: GalaxyID "${id}" is not a positive integer`);
      continue;
    }
    if (seen.has(id)) problems.push(`${at}: GalaxyID ${id} already appears on line ${seen.get(id)}`);
    seen.set(id, line);
    const values = position.map((p) => Number(fields[p]));
    const bad = position.flatMap((p, i) =>
      Number.isFinite(values[i]!) && fields[p] !== "" ? [] : [`${at}: ${columns[i]} "${fields[p]}" is not a number`],
    );
    if (bad.length) {
      problems.push(...bad);
      continue;
    }
    const inconsistent = checkCumulative(values, options.tolerance);
    if (inconsistent.length) {
      problems.push(...inconsistent.map((p) => `${at} (GalaxyID ${id}): ${p}`));
      continue;
    }
    const imageFile = join(options.images, `${id}.jpg`);
    if (!existsSync(imageFile)) {
      problems.push(`${at}: image ${imageFile} not found`);
      continue;
    }
    entries.push({ externalId: id, imageFile, catalogLabel: selectClass(values), priorFractions: values });
  }
  if (table.rows.length === 0) problems.push("the file has a header but no rows");
  if (problems.length) throw new ImportError(options.solutions, problems);
  return entries;
}

export async function importKaggle(db: Db, options: KaggleImportOptions): Promise<ImportResult> {
  return commitImport(db, KAGGLE_SOURCE, readKaggleSolutions(options), options.onProgress);
}
