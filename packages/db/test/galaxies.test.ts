import { ANSWER_IDS, cumulativeFractions } from "@hiwl/model";
import { describe, expect, it } from "vitest";
import {
  ensureVolunteer,
  findGalaxyIds,
  galaxyCounts,
  getGalaxy,
  insertGalaxies,
  InvalidInputError,
  listGalaxies,
  retireGalaxy,
  setPriorities,
  submitClassification,
  createModelVersion,
  upsertPredictions,
  activateModelVersion,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

describe("galaxies", () => {
  it("imports idempotently on (source, externalId), counting added and skipped", async () => {
    const prior = ANSWER_IDS.map((_, i) => (i === 0 ? 0.9 : 0.01));
    const first = await insertGalaxies(t.db, [
      ...galaxyRows(3, { source: "kaggle" }).map((g) => ({ ...g, priorFractions: prior, metadata: { label: "round" } })),
      ...galaxyRows(2, { source: "synthetic" }),
    ]);
    expect(first).toEqual({ added: 5, skipped: 0 });

    // Same ids again, one new one, and a duplicate inside the batch.
    const again = await insertGalaxies(t.db, [
      ...galaxyRows(3, { source: "kaggle" }).map((g) => ({ ...g, imagePath: "changed.jpg" })),
      ...galaxyRows(2, { source: "kaggle", from: 3 }).map((g) => ({ ...g, externalId: "3" })),
    ]);
    expect(again).toEqual({ added: 1, skipped: 4 });
    expect([...(await findGalaxyIds(t.db, "kaggle", ["0", "3", "4", "x"])).keys()].sort()).toEqual(["0", "3"]);
    expect(await t.db.galaxy.count()).toBe(6);

    const g0 = await t.db.galaxy.findUniqueOrThrow({ where: { source_externalId: { source: "kaggle", externalId: "0" } } });
    expect(g0.imagePath).toBe("images/kaggle/0.jpg");
    expect(g0.priorFractions).toEqual(prior);
    expect(g0.metadata).toEqual({ label: "round" });
    expect(g0.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(g0.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("rejects an import row with the wrong number of prior fractions, writing nothing", async () => {
    const before = await t.db.galaxy.count();
    const bad = [...galaxyRows(1, { source: "bad" }), { ...galaxyRows(1, { source: "bad", from: 1 })[0]!, priorFractions: [0.5] }];
    await expect(insertGalaxies(t.db, bad)).rejects.toThrow(InvalidInputError);
    expect(await t.db.galaxy.count()).toBe(before);
  });

  it("getGalaxy turns tallies into the 37 cumulative fractions and carries the active version's prediction only", async () => {
    const [id] = await addGalaxies(t.db, galaxyRows(1, { source: "detail" }));
    const walks = [WALKS.round, WALKS.round, WALKS.cigar, WALKS.spiral];
    for (const [i, answers] of walks.entries()) {
      await ensureVolunteer(t.db, `v${i}`);
      await submitClassification(
        t.db,
        { volunteerId: `v${i}`, galaxyId: id!, answers: [...answers], startedAt: new Date(), finishedAt: new Date() },
        { requireHandout: false },
      );
    }
    const version = await createModelVersion(t.db, { version: "v1", path: "models/v1", config: {}, metrics: {} });
    const probabilities = { round: 0.6, "in-between": 0.1, cigar: 0.1, "edge-on": 0.1, spiral: 0.1 };
    await upsertPredictions(t.db, version.id, [{ galaxyId: id!, probabilities, predictedClass: "round", acquisition: 0.3 }]);

    expect((await getGalaxy(t.db, id!))!.activePrediction).toBeNull();
    await activateModelVersion(t.db, version.id);
    const g = await getGalaxy(t.db, id!);
    expect(g).not.toBeNull();
    expect(g!.classificationCount).toBe(4);
    expect(g!.voteCounts).toMatchObject({ "1.1": 3, "1.2": 1, "7.1": 2, "7.3": 1, "6.1": 2, "6.2": 2, "8.7": 1 });
    expect(g!.voteFractions).toHaveLength(37);
    expect(g!.voteFractions[0]).toBeCloseTo(0.75); // 1.1
    expect(g!.voteFractions).toEqual(cumulativeFractions(g!.voteCounts, 4));
    expect(g!.activePrediction).toMatchObject({ modelVersionId: version.id, predictedClass: "round", pRound: 0.6 });
    expect(await getGalaxy(t.db, 999_999)).toBeNull();
  });

  it("counts, filters and pages the gallery, and retires once", async () => {
    const ids = await addGalaxies(t.db, galaxyRows(5, { source: "gallery" }));
    expect(await retireGalaxy(t.db, ids[0]!, "count")).toBe(true);
    expect(await retireGalaxy(t.db, ids[0]!, "consensus")).toBe(false);
    expect(await retireGalaxy(t.db, ids[1]!, "flagged")).toBe(true);
    const retired = await t.db.galaxy.findUniqueOrThrow({ where: { id: ids[0]! } });
    expect(retired.retirementReason).toBe("count");
    expect(retired.retiredAt).toBeInstanceOf(Date);

    const total = await t.db.galaxy.count();
    expect(await galaxyCounts(t.db)).toEqual({ active: total - 2, retired: 2, total });

    const active = await listGalaxies(t.db, { source: "gallery", retired: false, pageSize: 2 });
    expect(active.total).toBe(3);
    expect(active.galaxies.map((g) => g.id)).toEqual([ids[4], ids[3]]);
    const page2 = await listGalaxies(t.db, { source: "gallery", retired: false, pageSize: 2, page: 2 });
    expect(page2.galaxies.map((g) => g.id)).toEqual([ids[2]]);
    const gone = await listGalaxies(t.db, { source: "gallery", retired: true });
    expect(gone.galaxies.map((g) => g.id)).toEqual([ids[1], ids[0]]);
    expect(gone.galaxies[0]!.activePrediction).toBeNull();
    expect((await listGalaxies(t.db)).total).toBe(total);
    await expect(listGalaxies(t.db, { pageSize: 10_000 })).rejects.toThrow(InvalidInputError);
  });

  it("looks up existing external ids beyond SQL's parameter limits", async () => {
    await insertGalaxies(t.db, galaxyRows(1500, { source: "many" }));
    const asked = Array.from({ length: 3000 }, (_, i) => String(i));
    const found = await findGalaxyIds(t.db, "many", asked);
    expect(found.size).toBe(1500);
    expect(found.has("1499") && !found.has("1500")).toBe(true);
  });

  it("sets priorities in bulk, touching only the listed galaxies", async () => {
    const ids = await addGalaxies(t.db, galaxyRows(1200, { source: "prio" }));
    const updated = await setPriorities(
      t.db,
      ids.slice(0, 1100).map((galaxyId, i) => ({ galaxyId, priority: i / 10 })),
    );
    expect(updated).toBe(1100);
    const rows = await t.db.galaxy.findMany({ where: { source: "prio" }, orderBy: { id: "asc" }, select: { priority: true } });
    expect(rows.slice(0, 1100).map((r) => r.priority)).toEqual(ids.slice(0, 1100).map((_, i) => i / 10));
    expect(rows.slice(1100).every((r) => r.priority === 0)).toBe(true);
  });
});
