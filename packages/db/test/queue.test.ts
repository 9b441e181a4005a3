import { describe, expect, it } from "vitest";
import {
  ensureVolunteer,
  nextGalaxy,
  retireGalaxy,
  setPriorities,
  submitClassification,
} from "../src/index.ts";
import { populateBusyQueue } from "./fixtures/busy-queue.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

describe("nextGalaxy", () => {
  it("never serves a galaxy the volunteer classified or a retired one, highest priority first", async () => {
    const ids = await addGalaxies(t.db, galaxyRows(6, { source: "small" }));
    await setPriorities(t.db, ids.map((galaxyId, i) => ({ galaxyId, priority: 10 - i }))); // ids[0] highest
    await ensureVolunteer(t.db, "ann");
    await ensureVolunteer(t.db, "ben");
    await retireGalaxy(t.db, ids[1]!, "count");
    const classify = (v: string, g: number) =>
      submitClassification(
        t.db,
        { volunteerId: v, galaxyId: g, answers: [...WALKS.star], startedAt: new Date(), finishedAt: new Date() },
        { requireHandout: false },
      );

    const served: number[] = [];
    for (;;) {
      const g = await nextGalaxy(t.db, "ann", { spread: 1 });
      if (!g) break;
      served.push(g.id);
      await classify("ann", g.id);
    }
    expect(served).toEqual([ids[0], ids[2], ids[3], ids[4], ids[5]]);
    // The raw query's row is exactly what the typed client returns.
    const first = await nextGalaxy(t.db, "ben", { spread: 1 });
    expect(first).toStrictEqual(await t.db.galaxy.findUnique({ where: { id: ids[0]! } }));

    // Ben is unaffected by Ann's classifications, but not by the retirements.
    await classify("ben", ids[0]!);
    await retireGalaxy(t.db, ids[2]!, "consensus");
    const left = new Set<number>();
    for (let i = 0; i < 50; i++) left.add((await nextGalaxy(t.db, "ben"))!.id);
    expect([...left].sort((a, b) => a - b)).toEqual([ids[3], ids[4], ids[5]]);
  });

  it("spreads over the top `spread` candidates only", async () => {
    const ids = await addGalaxies(t.db, galaxyRows(40, { source: "spread" }));
    await setPriorities(t.db, ids.map((galaxyId, i) => ({ galaxyId, priority: 1000 + i }))); // last ids highest
    await ensureVolunteer(t.db, "cat");
    const top5 = new Set(ids.slice(-5));
    const seen = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const g = (await nextGalaxy(t.db, "cat", { spread: 5 }))!;
      seen.set(g.id, (seen.get(g.id) ?? 0) + 1);
    }
    expect([...seen.keys()].every((id) => top5.has(id))).toBe(true);
    expect(seen.size).toBe(5);
    for (const n of seen.values()) expect(n).toBeGreaterThan(10); // 40 expected each

    // The draw is the caller's to seed: candidates by priority, highest first, picked by index.
    const byDraw = async (draws: number[]) => {
      const picked: number[] = [];
      for (const d of draws) picked.push((await nextGalaxy(t.db, "cat", { spread: 5, random: () => d }))!.id);
      return picked;
    };
    expect(await byDraw([0, 0.99, 0.5])).toEqual([ids[39], ids[35], ids[37]]);
  });

  it("skips classified and retired galaxies at scale: 10,000 galaxies, 100,000 classifications", async () => {
    // Only this test's galaxies in the queue.
    await t.db.galaxy.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date(), retirementReason: "count" } });
    const queue = await populateBusyQueue(t.db);
    expect(queue.classifications).toBe(100_500);
    for (let i = 0; i < 30; i++) {
      const g = await nextGalaxy(t.db, queue.heavy);
      expect(queue.byPriority.slice(700, 710)).toContain(g!.id);
      const v = queue.volunteers[(i * 37) % queue.volunteers.length]!;
      const served = (await nextGalaxy(t.db, v))!;
      expect(await t.db.classification.count({ where: { volunteerId: v, galaxyId: served.id } })).toBe(0);
      expect(served.retiredAt).toBeNull();
    }
  }, 120_000);
});
