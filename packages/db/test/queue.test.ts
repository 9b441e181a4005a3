import { describe, expect, it } from "vitest";
import {
  ensureVolunteer,
  insertGalaxies,
  nextGalaxy,
  Prisma,
  retireGalaxy,
  setPriorities,
  submitClassification,
} from "../src/index.ts";
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
      submitClassification(t.db, { volunteerId: v, galaxyId: g, answers: [...WALKS.star], startedAt: new Date(), finishedAt: new Date() });

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
  });

  it("answers in well under 50 ms (p95) with 10,000 galaxies and 100,000 classifications", async () => {
    const source = "bench";
    const N = 10_000;
    // Only this test's galaxies in the queue.
    await t.db.galaxy.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date(), retirementReason: "count" } });
    await insertGalaxies(
      t.db,
      galaxyRows(N, { source }).map((g, i) => ({ ...g, priority: ((i * 7919) % N) / N })),
    );
    const head = await t.db.galaxy.findMany({ where: { source }, orderBy: { priority: "desc" }, select: { id: true } });
    const byPriority = head.map((g) => g.id);
    const volunteers = [...Array.from({ length: 1000 }, (_, v) => `bench-${v}`), "bench-heavy"];
    const now = new Date();
    await t.db.$executeRaw`INSERT INTO "Volunteer" ("id", "createdAt")
      VALUES ${Prisma.join(volunteers.map((v) => Prisma.sql`(${v}, ${now})`))}`;

    // Volunteer v has done 100 galaxies spread over the queue, the first ones near its head;
    // bench-heavy has done the 500 highest, and the next 200 are retired: the probes the
    // query must skip before it finds candidates.
    const done: [string, number][] = [];
    for (let v = 0; v < 1000; v++) {
      for (let k = 0; k < 100; k++) done.push([`bench-${v}`, byPriority[(v + k * 97) % N]!]);
    }
    for (const g of byPriority.slice(0, 500)) done.push(["bench-heavy", g]);
    const answers = JSON.stringify(WALKS.star);
    const statements = [];
    for (let i = 0; i < done.length; i += 500) {
      const rows = done.slice(i, i + 500).map(([v, g]) => Prisma.sql`(${v}, ${g}, ${answers}, ${now}, ${now})`);
      statements.push(t.db.$executeRaw`INSERT INTO "Classification" ("volunteerId", "galaxyId", "answers", "startedAt", "finishedAt")
        VALUES ${Prisma.join(rows)}`);
    }
    await t.db.$transaction(statements);
    await t.db.galaxy.updateMany({ where: { id: { in: byPriority.slice(500, 700) } }, data: { retiredAt: now, retirementReason: "count" } });
    expect(await t.db.classification.count({ where: { galaxy: { source } } })).toBe(100_500);

    const timings: number[] = [];
    for (let i = 0; i < 300; i++) {
      const volunteer = i % 3 === 0 ? "bench-heavy" : `bench-${(i * 37) % 1000}`;
      const start = performance.now();
      const g = await nextGalaxy(t.db, volunteer);
      timings.push(performance.now() - start);
      if (volunteer === "bench-heavy") expect(byPriority.slice(700, 710)).toContain(g!.id);
    }
    timings.sort((a, b) => a - b);
    const p95 = timings[Math.floor(timings.length * 0.95)]!;
    console.log(`nextGalaxy over 10k galaxies / 100k classifications: median ${timings[150]!.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`);
    expect(p95).toBeLessThan(50);
  }, 120_000);
});
