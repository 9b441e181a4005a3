import { describe, expect, it } from "vitest";
import {
  countVolunteers,
  createModelVersion,
  ensureVolunteer,
  exportSizes,
  getGalaxy,
  activePredictions,
  activateModelVersion,
  consensusBalance,
  listVoteFractions,
  retireGalaxy,
  submitClassification,
  upsertPredictions,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

describe("dashboard and export aggregates", () => {
  it("agree with the per-galaxy queries", async () => {
    const [g1, g2, g3] = await addGalaxies(t.db, galaxyRows(3));
    await ensureVolunteer(t.db, "real");
    await ensureVolunteer(t.db, "idle");
    await ensureVolunteer(t.db, "bot", { simulated: true });
    const classify = (v: string, g: number, answers: readonly string[]) =>
      submitClassification(
        t.db,
        { volunteerId: v, galaxyId: g, answers: [...answers], startedAt: new Date(), finishedAt: new Date() },
        { requireHandout: false },
      );
    await classify("real", g1!, WALKS.round);
    await classify("bot", g1!, WALKS.spiral);
    await classify("bot", g2!, WALKS.edgeOn);
    await retireGalaxy(t.db, g2!, "count");

    const fractions = await listVoteFractions(t.db);
    expect(fractions.map((f) => f.galaxyId)).toEqual([g1, g2]);
    expect(fractions[0]!.voteFractions).toEqual((await getGalaxy(t.db, g1!))!.voteFractions);
    expect((await listVoteFractions(t.db, { retired: true })).map((f) => f.galaxyId)).toEqual([g2]);

    const v1 = await createModelVersion(t.db, { version: "a", path: "a", config: {}, metrics: {} });
    const v2 = await createModelVersion(t.db, { version: "b", path: "b", config: {}, metrics: {} });
    const p = { round: 0.2, "in-between": 0.2, cigar: 0.2, "edge-on": 0.2, spiral: 0.2 };
    await upsertPredictions(t.db, v1.id, [g1!, g3!].map((galaxyId) => ({ galaxyId, probabilities: p, predictedClass: "round" as const })));
    await upsertPredictions(t.db, v2.id, [{ galaxyId: g1!, probabilities: p, predictedClass: "spiral" }]);
    expect(await activePredictions(t.db)).toEqual({ modelVersion: null, predictions: [] });
    await activateModelVersion(t.db, v1.id);
    const scored = (await activePredictions(t.db)).predictions;
    expect(scored.map((x) => [x.galaxyId, x.predictedClass, x.galaxy])).toEqual([
      [g1, "round", { source: "synthetic", externalId: "0" }],
      [g3, "round", { source: "synthetic", externalId: "2" }],
    ]);
    await activateModelVersion(t.db, v2.id);
    const active = await activePredictions(t.db);
    expect(active.modelVersion?.version).toBe("b");
    expect(active.predictions.map((x) => [x.galaxyId, x.predictedClass])).toEqual([[g1, "spiral"]]);
    expect((await activePredictions(t.db, { source: "elsewhere" })).predictions).toEqual([]);

    expect(await countVolunteers(t.db)).toEqual({ total: 2, classifying: 1 });
    expect(await exportSizes(t.db)).toEqual({ votes: 2, predictions: 1 });
    // g1: round and spiral, one each (no class passes HIWL's thresholds); g2: edge-on.
    expect(await consensusBalance(t.db)).toEqual({ round: 0, "in-between": 0, cigar: 0, "edge-on": 1, spiral: 0, none: 1 });
  });
});
