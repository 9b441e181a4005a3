/**
 * `hiwl import catalog`: any folder of images with a CSV of labels, the labels mapped onto the
 * project's catalogue labels (e.g. Galaxy Zoo 1: elliptical=smooth, spiral_*=spiral,
 * edge_on=edge-on). Rows whose label is not mapped are imported unlabelled.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Db } from "@hiwl/db";
import { CATALOG_LABELS, type CatalogLabel, isCatalogLabel } from "@hiwl/model";
import { commitImport, type ImportEntry, type ImportProgress, type ImportResult } from "./commit.ts";
import { readCsv } from "./csv.ts";
import { ImportError } from "./import-error.ts";

export interface CatalogImportOptions {
  readonly images: string;
  readonly labels: string;
  readonly idColumn: string;
  readonly labelColumn: string;
  /** Catalogue label -> project label. */
  readonly map: Readonly<Record<string, string>>;
  /** Galaxy.source; defaults to "catalog:<folder holding the labels file>". */
  readonly source?: string;
  readonly onProgress?: ImportProgress;
}

const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png"];

/** Parses "elliptical=smooth,spiral_clockwise=spiral" (repeatable) into a mapping. */
export function parseLabelMap(specs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const part of specs.flatMap((s) => s.split(","))) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0 || eq === trimmed.length - 1) {
      throw new Error(`--map "${trimmed}": expected CATALOG_LABEL=PROJECT_LABEL`);
    }
    map[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return map;
}

export function defaultCatalogSource(labelsFile: string): string {
  return `catalog:${basename(dirname(resolve(labelsFile)))}`;
}

export function readFolderCatalog(options: CatalogImportOptions): ImportEntry[] {
  const problems: string[] = [];
  for (const [from, to] of Object.entries(options.map)) {
    if (!isCatalogLabel(to)) problems.push(`--map ${from}=${to}: "${to}" is not one of ${CATALOG_LABELS.join(", ")}`);
  }
  const table = readCsv(options.labels);
  const idAt = table.header.indexOf(options.idColumn);
  const labelAt = table.header.indexOf(options.labelColumn);
  const columns = table.header.join(", ");
  if (idAt < 0) problems.push(`line 1: no column "${options.idColumn}" (columns: ${columns})`);
  if (labelAt < 0) problems.push(`line 1: no column "${options.labelColumn}" (columns: ${columns})`);
  if (problems.length) throw new ImportError(options.labels, problems);

  const seen = new Map<string, number>();
  const entries: ImportEntry[] = [];
  for (const { line, fields } of table.rows) {
    const id = fields[idAt]?.trim() ?? "";
    const label = fields[labelAt]?.trim() ?? "";
    if (!/^[A-Za-z0-9._-]+$/.test(id)) {
      problems.push(`line ${line}: ${options.idColumn} "${id}" is empty or has characters other than letters, digits, . _ -`);
      continue;
    }
    if (seen.has(id)) {
      problems.push(`line ${line}: ${options.idColumn} ${id} already appears on line ${seen.get(id)}`);
      continue;
    }
    seen.set(id, line);
    const imageFile = IMAGE_EXTENSIONS.map((ext) => join(options.images, id + ext)).find((f) => existsSync(f));
    if (!imageFile) {
      problems.push(`line ${line}: no image ${id}.jpg, .jpeg or .png in ${options.images}`);
      continue;
    }
    const mapped = options.map[label];
    entries.push({
      externalId: id,
      imageFile,
      catalogLabel: (mapped ?? null) as CatalogLabel | null,
      metadata: { [options.labelColumn]: label },
    });
  }
  if (table.rows.length === 0) problems.push("the file has a header but no rows");
  if (problems.length) throw new ImportError(options.labels, problems);
  return entries;
}

export async function importFolderCatalog(db: Db, options: CatalogImportOptions): Promise<ImportResult> {
  const source = options.source ?? defaultCatalogSource(options.labels);
  return commitImport(db, source, readFolderCatalog(options), options.onProgress);
}
