import { describe, expect, it } from "vitest";
import {
  backfillConsensus,
  checkTallies,
  deleteVolunteer,
  ensureVolunteer,
  NotFoundError,
  repairTallies,
  submitClassification,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

const vote = (volunteerId: string, galaxyId: number, answers: readonly string[], clientKey?: string) =>
  submitClassification(
    t.db,
    { volunteerId, galaxyId, answers: [...answers], startedAt: new Date(), finishedAt: new Date(), clientKey },
    { requireHandout: false, rules: null, votesPerAddress: 1 },
  );

const galaxy = (id: number) => t.db.galaxy.findUniqueOrThrow({ where: { id } });

describe("integrity", () => {
  it("repairTallies rebuilds drifted tallies, counts and consensus from the counted classifications", async () => {
    const [g1, g2] = await addGalaxies(t.db, galaxyRows(2, { source: "repair" }));
    for (const v of ["a", "b", "c"]) await ensureVolunteer(t.db, v);
    await vote("a", g1!, WALKS.spiral);
    await vote("b", g1!, WALKS.spiral);
    // Same address as b's: stored, flagged and counted nowhere, also after a repair.
    await vote("c", g1!, WALKS.round, "k1");
    await vote("b", g2!, WALKS.round, "k1");
    await vote("c", g2!, WALKS.round, "k1");
    expect(await checkTallies(t.db)).toEqual([]);
    const good = await t.db.voteTally.findMany({ orderBy: [{ galaxyId: "asc" }, { answerId: "asc" }] });

    await t.db.$executeRaw`UPDATE "VoteTally" SET "count" = "count" + 7 WHERE "galaxyId" = ${g1!} AND "answerId" = '2.2'`;
    await t.db.$executeRaw`DELETE FROM "VoteTally" WHERE "galaxyId" = ${g2!} AND "answerId" = '7.1'`;
    await t.db.galaxy.update({ where: { id: g2! }, data: { classificationCount: 9, consensus: "spiral" } });
    expect((await checkTallies(t.db)).map((m) => [m.galaxyId, m.field])).toEqual([
      [g1, "2.2"],
      [g2, "classificationCount"],
      [g2, "7.1"],
      [g2, "consensus"],
    ]);

    expect(await repairTallies(t.db)).toBe(2);
    expect(await checkTallies(t.db)).toEqual([]);
    expect(await t.db.voteTally.findMany({ orderBy: [{ galaxyId: "asc" }, { answerId: "asc" }] })).toEqual(good);
    expect(await galaxy(g2!)).toMatchObject({ classificationCount: 1, consensus: "round" });
  });

  it("deleteVolunteer removes a spammer's votes and keeps every tally, count and consensus right", async () => {
    const [g1, g2] = await addGalaxies(t.db, galaxyRows(2, { source: "spam" }));
    for (const v of ["honest-1", "honest-2", "spammer"]) await ensureVolunteer(t.db, v);
    await vote("honest-1", g1!, WALKS.round);
    await vote("honest-2", g1!, WALKS.round);
    await vote("spammer", g1!, WALKS.edgeOn);
    await vote("spammer", g2!, WALKS.edgeOn);
    await t.db.handout.create({ data: { volunteerId: "spammer", galaxyId: g1!, expiresAt: new Date(Date.now() + 60_000) } });
    expect(await galaxy(g2!)).toMatchObject({ classificationCount: 1, consensus: "edge-on" });

    expect(await deleteVolunteer(t.db, "spammer")).toEqual({ classifications: 2, galaxies: 2 });
    expect(await checkTallies(t.db)).toEqual([]);
    expect(await galaxy(g1!)).toMatchObject({ classificationCount: 2, consensus: "round" });
    expect(await galaxy(g2!)).toMatchObject({ classificationCount: 0, consensus: null });
    expect(await t.db.voteTally.count({ where: { galaxyId: g2! } })).toBe(0);
    expect(await t.db.handout.count({ where: { volunteerId: "spammer" } })).toBe(0);
    await expect(deleteVolunteer(t.db, "spammer")).rejects.toThrow(new NotFoundError("volunteer spammer does not exist"));
  });

  it("backfillConsensus fills in the consensus of galaxies voted on before it was stored, once", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "backfill" }));
    await ensureVolunteer(t.db, "old");
    await vote("old", g!, WALKS.edgeOn);
    await t.db.galaxy.update({ where: { id: g! }, data: { consensus: null } });
    expect(await backfillConsensus(t.db)).toBe(1);
    expect((await galaxy(g!)).consensus).toBe("edge-on");
    expect(await backfillConsensus(t.db)).toBe(0);
  });
});
