import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { ImportError } from "./import-error.ts";

export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  /** Data rows with the 1-based line number each starts on in the file. */
  readonly rows: ReadonlyArray<{ readonly line: number; readonly fields: readonly string[] }>;
}

/** Reads a CSV file with a header row; malformed CSV is reported with its line. */
export function readCsv(file: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ImportError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { info: true, skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as unknown as typeof records;
  } catch (err) {
    throw new ImportError(file, [(err as Error).message]);
  }
  const [first, ...rest] = records;
  if (!first) throw new ImportError(file, ["the file is empty: expected a header row"]);
  return {
    file,
    header: first.record,
    rows: rest.map((r) => ({ line: r.info.lines, fields: r.record })),
  };
}
