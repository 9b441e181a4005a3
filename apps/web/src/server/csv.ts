/**
 * The researchers' CSV exports. Both are behind the same researcher check as the tRPC API.
 *
 * Galaxies are named by their catalogue identity, which holds outside this database (a
 * rebuilt one numbers its rows afresh): "GalaxyID" is the galaxy's id in its catalogue
 * (Galaxy.externalId: the Kaggle GalaxyID, an SDSS objid, a synthetic seed) and "source" the
 * catalogue. `?source=S` exports one catalogue's galaxies without the source column, so
 * `votes.csv?source=kaggle` is a Kaggle solutions file exactly (GalaxyID and the 37 columns).
 */
import { activePredictions, db, listVoteFractions, predictionProbabilities, type Db } from "@hiwl/db";
import { ANSWER_IDS, HIWL_CLASSES, kaggleColumn } from "@hiwl/model";
import { checkResearcher } from "./auth.ts";

// Six decimals like the published Kaggle file; trailing zeros dropped.
const num = (v: number) => String(Number(v.toFixed(6)));

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

const csv = (header: readonly string[], rows: readonly (readonly string[])[]) =>
  [header, ...rows].map((row) => row.map(field).join(",")).join("\n") + "\n";

export interface ExportOptions {
  /** One catalogue's galaxies only, without the source column; absent: every galaxy. */
  source?: string;
}

export interface CsvFile {
  filename: string;
  body: string;
}

/** A row: the galaxy's catalogue id, its values, then its catalogue unless the file is of one. */
function identified(options: ExportOptions, galaxy: { source: string; externalId: string }, values: readonly string[]): string[] {
  return [galaxy.externalId, ...values, ...(options.source === undefined ? [galaxy.source] : [])];
}

const withSource = (options: ExportOptions, columns: readonly string[]) => ["GalaxyID", ...columns, ...(options.source === undefined ? ["source"] : [])];

/**
 * Kaggle "training_solutions_rev1" layout: GalaxyID and the 37 cumulative fractions, then the
 * source; galaxies with votes only, by database id.
 */
export async function votesCsv(database: Db, options: ExportOptions = {}): Promise<CsvFile> {
  const rows = await listVoteFractions(database, { source: options.source });
  const lines = rows.map((r) => identified(options, r, r.voteFractions.map(num)));
  return { filename: "votes.csv", body: csv(withSource(options, ANSWER_IDS.map(kaggleColumn)), lines) };
}

/**
 * The active model version's predictions: GalaxyID, p_<class> in HIWL_CLASSES order, the
 * source, and the model version as a column (pandas' read_csv needs no options for it) and in
 * the file name.
 */
export async function predictionsCsv(database: Db, options: ExportOptions = {}): Promise<CsvFile> {
  const { modelVersion, predictions } = await activePredictions(database, options);
  const header = [...withSource(options, HIWL_CLASSES.map((c) => `p_${c.replace("-", "_")}`)), "model_version"];
  if (!modelVersion) return { filename: "predictions.csv", body: csv(header, []) };
  const lines = predictions.map((p) => {
    const probabilities = predictionProbabilities(p);
    return [...identified(options, p.galaxy, HIWL_CLASSES.map((c) => num(probabilities[c]))), modelVersion.version];
  });
  // Version names are directory names; anything else is kept out of the header all the same.
  return { filename: `predictions-${modelVersion.version.replace(/[^A-Za-z0-9._-]/g, "_")}.csv`, body: csv(header, lines) };
}

const refusal = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });

/** A CSV download for researchers; 401 without a session, 403 for a non-researcher's, 400 for an unknown `?source=`. */
export async function csvResponse(request: Request, build: (database: Db, options: ExportOptions) => Promise<CsvFile>) {
  const database = db();
  const check = await checkResearcher(database, request.headers);
  if (!check.ok) return refusal(check.status, check.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", check.message);
  const source = new URL(request.url).searchParams.get("source") ?? undefined;
  if (source !== undefined && !(await database.galaxy.findFirst({ where: { source }, select: { id: true } }))) {
    const sources = (await database.galaxy.findMany({ distinct: ["source"], select: { source: true }, orderBy: { source: "asc" } })).map((g) => g.source);
    return refusal(400, "BAD_REQUEST", `no galaxies of source "${source}" (sources: ${sources.join(", ") || "none"})`);
  }
  const file = await build(database, { source });
  return new Response(file.body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${file.filename}"`,
      "cache-control": "no-store",
    },
  });
}
