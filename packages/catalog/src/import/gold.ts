/**
 * `hiwl gold import`: expert answers for galaxies already in the catalogue, from a CSV file
 * with the columns source, externalId and answers (the answer ids of one complete walk of the
 * tree, separated by spaces, e.g. "1.2 2.2 3.2 4.1 10.2 11.2 5.2 6.2"). All rows or none.
 */
import { basename } from "node:path";
import { setGoldStandards, type Db, type GoldInput } from "@hiwl/db";
import { isAnswerId, validateWalk } from "@hiwl/model";
import { readCsv } from "./csv.ts";
import { ImportError } from "./import-error.ts";

const COLUMNS = ["source", "externalId", "answers"] as const;

/** Checks the whole file against the catalogue; throws one ImportError listing every bad row. */
export async function readGoldStandards(db: Db, file: string): Promise<GoldInput[]> {
  const table = readCsv(file);
  const position = COLUMNS.map((c) => table.header.indexOf(c));
  const missing = COLUMNS.filter((_, i) => position[i] === -1);
  if (missing.length) throw new ImportError(file, [`line 1: missing column(s) ${missing.join(", ")} (expected ${COLUMNS.join(", ")})`]);
  const [sourceAt, idAt, answersAt] = position as [number, number, number];

  const problems: string[] = [];
  const rows: { line: number; source: string; externalId: string; answers: string[] }[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of table.rows) {
    const at = `line ${line}`;
    const source = fields[sourceAt] ?? "";
    const externalId = fields[idAt] ?? "";
    const answers = (fields[answersAt] ?? "").split(/\s+/).filter(Boolean);
    if (!source || !externalId) {
      problems.push(`${at}: source and externalId must both be given`);
      continue;
    }
    const key = `${source}/${externalId}`;
    if (seen.has(key)) problems.push(`${at}: galaxy ${key} already appears on line ${seen.get(key)}`);
    seen.set(key, line);
    const unknown = answers.filter((a) => !isAnswerId(a));
    if (unknown.length) {
      problems.push(`${at}: answers: ${unknown.map((a) => `"${a}"`).join(", ")} ${unknown.length === 1 ? "is not an answer" : "are not answers"} of the tree`);
      continue;
    }
    const walk = validateWalk(answers);
    if (!walk.ok) {
      problems.push(`${at}: answers: ${walk.error}`);
      continue;
    }
    rows.push({ line, source, externalId, answers });
  }
  if (table.rows.length === 0) problems.push("the file has a header but no rows");

  const idOf = new Map<string, number>();
  // In slices: each row is two bound parameters, and SQLite caps a statement's.
  for (let i = 0; i < rows.length; i += 400) {
    const galaxies = await db.galaxy.findMany({
      where: { OR: rows.slice(i, i + 400).map((r) => ({ source: r.source, externalId: r.externalId })) },
      select: { id: true, source: true, externalId: true },
    });
    for (const g of galaxies) idOf.set(`${g.source}/${g.externalId}`, g.id);
  }
  const entries = rows.flatMap((r) => {
    const galaxyId = idOf.get(`${r.source}/${r.externalId}`);
    if (galaxyId === undefined) {
      problems.push(`line ${r.line}: no galaxy ${r.externalId} of source "${r.source}" in the catalogue (import the galaxies first)`);
      return [];
    }
    return [{ galaxyId, answers: r.answers }];
  });
  // In file order, though the catalogue is looked up after the rows are read.
  const lineOf = (problem: string) => Number(/^line (\d+)/.exec(problem)?.[1] ?? 0);
  if (problems.length) throw new ImportError(file, problems.sort((a, b) => lineOf(a) - lineOf(b)));
  return entries;
}

/** Imports the file's expert answers (replacing earlier ones of the same galaxies); returns how many galaxies are now gold from it. */
export async function importGoldStandards(db: Db, file: string): Promise<number> {
  return setGoldStandards(db, await readGoldStandards(db, file), { origin: `import:${basename(file)}` });
}
