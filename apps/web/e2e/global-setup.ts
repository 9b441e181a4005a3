import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  activateModelVersion,
  createModelVersion,
  createResearcher,
  ensureVolunteer,
  insertGalaxies,
  listGalaxies,
  migrate,
  replaceFeatureMap,
  retireGalaxy,
  submitClassification,
  upsertPredictions,
} from "@hiwl/db";
import { GZ1_DIR, RESEARCHER, dataDir, testDb } from "./env.ts";
import { TEST_MODELS, modelDir, writeTestModel } from "./models.ts";
import { INACTIVE_DECISION, RECORDED_METRICS, UNSCORED_OLDEST, mapPoint, recordedPrediction } from "./researcher-data.ts";

/** Galaxy Zoo 1 labels -> the catalogue label stored with the galaxy. */
const GZ1_LABELS: Record<string, string> = { "0": "smooth", "1": "spiral", "2": "spiral", "3": "edge-on", "5": "merger" };
const PER_LABEL: Record<string, number> = { smooth: 5, spiral: 4, "edge-on": 3, merger: 1 };

/**
 * Typical crowd walks for the simulated volunteers, by catalogue label, so the dashboard and
 * galaxy pages have history to show; the second walk of each is the dissenting minority.
 */
const CROWD_WALKS: Record<string, string[][]> = {
  smooth: [["1.1", "7.2", "6.2"], ["1.1", "7.1", "6.2"]],
  spiral: [["1.2", "2.2", "3.2", "4.1", "10.2", "11.2", "5.2", "6.2"], ["1.2", "2.2", "3.1", "4.1", "10.3", "11.6", "5.2", "6.2"]],
  "edge-on": [["1.2", "2.1", "9.1", "6.2"], ["1.2", "2.1", "9.3", "6.1", "8.7"]],
  merger: [["1.2", "2.2", "3.2", "4.2", "5.2", "6.1", "8.6"], ["1.3"]],
};

const DAY = 86_400_000;

export default async function globalSetup() {
  const dir = dataDir();
  await migrate(dir);
  const db = testDb();
  try {
    const taken: Record<string, number> = {};
    const rows = readFileSync(join(GZ1_DIR, "labels.csv"), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(","))
      .filter(([, cls]) => {
        const label = GZ1_LABELS[cls!];
        if (!label || (taken[label] ?? 0) >= PER_LABEL[label]!) return false;
        taken[label] = (taken[label] ?? 0) + 1;
        return true;
      });
    await insertGalaxies(
      db,
      rows.map(([objid, cls]) => ({
        externalId: objid!,
        source: "gz1",
        imagePath: join(GZ1_DIR, "images", `${objid}.jpg`),
        catalogLabel: GZ1_LABELS[cls!]!,
      })),
    );

    // A few weeks of simulated crowd work on most galaxies, for the dashboard's chart.
    const { galaxies } = await listGalaxies(db, { pageSize: 200 });
    const now = Date.now();
    let n = 0;
    for (const [i, g] of galaxies.entries()) {
      if (i % 4 === 3) continue; // some galaxies stay fresh
      const walks = CROWD_WALKS[g.catalogLabel!]!;
      // The galaxies retired below get enough agreeing votes to be field-guide examples.
      const votes = i === 0 || i === 4 ? 6 : 3 + (i % 4);
      for (let v = 0; v < votes; v++) {
        const volunteer = await ensureVolunteer(db, `sim-${v}`, { simulated: true });
        const finishedAt = new Date(now - ((n++ * 7) % 20) * DAY - 3_600_000);
        await submitClassification(
          db,
          {
            volunteerId: volunteer.id,
            galaxyId: g.id,
            answers: walks[v === 2 ? 1 : 0]!,
            startedAt: new Date(finishedAt.getTime() - 20_000),
            finishedAt,
          },
          { requireHandout: false, rules: null },
        );
      }
    }
    // Retired galaxies are public; the others show volunteers no label, votes or prediction.
    await retireGalaxy(db, galaxies[0]!.id, "consensus");
    for (const g of [galaxies[4]!, galaxies[7]!]) await retireGalaxy(db, g.id, "count");
    await createResearcher(db, RESEARCHER.username, RESEARCHER.password, { displayName: RESEARCHER.displayName });

    // Model versions as the trainer leaves them; the first one is the active model.
    for (const [i, model] of TEST_MODELS.entries()) {
      await writeTestModel(dir, model);
      const version = await createModelVersion(db, {
        version: model.version,
        // One absolute and one relative to the data directory: the site must serve both.
        path: i === 0 ? modelDir(dir, model.version) : join("models", model.version),
        config: { hierarchy: model.hierarchy, variant: "nano", seed: model.seed },
        metrics: i === 0 ? RECORDED_METRICS : { accuracy: 0.2, activation: INACTIVE_DECISION },
      });
      if (i > 0) continue;
      await activateModelVersion(db, version.id);
      const scored = galaxies.slice(0, -UNSCORED_OLDEST);
      await upsertPredictions(db, version.id, scored.map((g, k) => ({ galaxyId: g.id, ...recordedPrediction(k) })));
      await replaceFeatureMap(db, version.id, scored.map((g, k) => ({ galaxyId: g.id, ...mapPoint(k) })));
    }
  } finally {
    await db.$disconnect();
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
