/**
 * The researchers' CSV exports. Both are behind the same researcher check as the tRPC API.
 */
import { activePredictions, db, listVoteFractions, predictionProbabilities, type Db } from "@hiwl/db";
import { ANSWER_IDS, HIWL_CLASSES, kaggleColumn } from "@hiwl/model";
import { checkResearcher } from "./auth.ts";

// Six decimals like the published Kaggle file; trailing zeros dropped.
const num = (v: number) => String(Number(v.toFixed(6)));

/** Kaggle "training_solutions_rev1" layout: GalaxyID and the 37 cumulative fractions, galaxies with votes only. */
export async function votesCsv(database: Db): Promise<string> {
  const rows = await listVoteFractions(database);
  const header = ["GalaxyID", ...ANSWER_IDS.map(kaggleColumn)].join(",");
  return [header, ...rows.map((r) => [r.galaxyId, ...r.voteFractions.map(num)].join(","))].join("\n") + "\n";
}

/** The active model version's predictions: id and p_<class> in HIWL_CLASSES order. */
export async function predictionsCsv(database: Db): Promise<string> {
  const rows = await activePredictions(database);
  const header = ["id", ...HIWL_CLASSES.map((c) => `p_${c.replace("-", "_")}`)].join(",");
  const lines = rows.map((p) => {
    const probs = predictionProbabilities(p);
    return [p.galaxyId, ...HIWL_CLASSES.map((c) => num(probs[c]))].join(",");
  });
  return [header, ...lines].join("\n") + "\n";
}

/** A CSV download for researchers; 401 without a session, 403 for a non-researcher's. */
export async function csvResponse(request: Request, filename: string, build: (database: Db) => Promise<string>) {
  const database = db();
  const check = await checkResearcher(database, request.headers);
  if (!check.ok) {
    return Response.json({ error: { code: check.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", message: check.message } }, { status: check.status });
  }
  return new Response(await build(database), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
}
