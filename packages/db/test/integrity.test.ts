import { classDistribution, cumulativeFractions } from "@hiwl/model";
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

/** The share of `cls` in the five-class distribution of these walks, computed here from the tree. */
function shareOf(cls: "round" | "edge-on" | "spiral", walks: readonly (readonly string[])[]): number {
  const counts: Record<string, number> = {};
  for (const walk of walks) for (const answer of walk) counts[answer] = (counts[answer] ?? 0) + 1;
  return classDistribution(cumulativeFractions(counts, walks.length))![cls];
}

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
    await t.db.galaxy.update({ where: { id: g2! }, data: { classificationCount: 9, consensus: "spiral", consensusShare: 0.5 } });
    expect(await checkTallies(t.db)).toEqual([
      { galaxyId: g1, field: "2.2", stored: 9, recomputed: 2 },
      { galaxyId: g2, field: "classificationCount", stored: 9, recomputed: 1 },
      { galaxyId: g2, field: "7.1", stored: 0, recomputed: 1 },
      { galaxyId: g2, field: "consensus", stored: "spiral", recomputed: "round" },
      { galaxyId: g2, field: "consensusShare", stored: 0.5, recomputed: 1 },
    ]);

    expect(await repairTallies(t.db)).toBe(2);
    expect(await checkTallies(t.db)).toEqual([]);
    expect(await t.db.voteTally.findMany({ orderBy: [{ galaxyId: "asc" }, { answerId: "asc" }] })).toEqual(good);
    // One round vote: all of the crowd's distribution on round.
    expect(await galaxy(g2!)).toMatchObject({ classificationCount: 1, consensus: "round", consensusShare: 1 });
    // Two spirals and a round one pass no class's thresholds: no class, no share.
    expect(await galaxy(g1!)).toMatchObject({ classificationCount: 3, consensus: "none", consensusShare: null });
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

    expect(await galaxy(g1!)).toMatchObject({ consensus: "round", consensusShare: shareOf("round", [WALKS.round, WALKS.round, WALKS.edgeOn]) });

    expect(await deleteVolunteer(t.db, "spammer")).toEqual({ classifications: 2, galaxies: 2 });
    expect(await checkTallies(t.db)).toEqual([]);
    expect(await galaxy(g1!)).toMatchObject({ classificationCount: 2, consensus: "round", consensusShare: 1 });
    expect(await galaxy(g2!)).toMatchObject({ classificationCount: 0, consensus: null, consensusShare: null });
    expect(await t.db.voteTally.count({ where: { galaxyId: g2! } })).toBe(0);
    expect(await t.db.handout.count({ where: { volunteerId: "spammer" } })).toBe(0);
    await expect(deleteVolunteer(t.db, "spammer")).rejects.toThrow(new NotFoundError("volunteer spammer does not exist"));
  });

  it("checkTallies forgives a share rounded in its last bit, as Prisma writes floats, and nothing more", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "share" }));
    for (const v of ["s-1", "s-2", "s-3"]) await ensureVolunteer(t.db, v);
    for (const v of ["s-1", "s-2"]) await vote(v, g!, WALKS.round);
    await vote("s-3", g!, WALKS.cigar);
    const share = (await galaxy(g!)).consensusShare!;
    expect(share).toBe(shareOf("round", [WALKS.round, WALKS.round, WALKS.cigar]));
    // Written as SQL text, so that Prisma's own rounding does not undo the change.
    const setShare = (x: number) => t.db.$executeRawUnsafe(`UPDATE "Galaxy" SET "consensusShare" = ${x.toPrecision(17)} WHERE "id" = ${g}`);
    await setShare(share * (1 + Number.EPSILON));
    expect(await checkTallies(t.db)).toEqual([]);
    await setShare(share + 1e-9);
    expect(await checkTallies(t.db)).toEqual([{ galaxyId: g, field: "consensusShare", stored: share + 1e-9, recomputed: share }]);
    expect(await repairTallies(t.db)).toBe(1);
    expect((await galaxy(g!)).consensusShare).toBe(share);
  });

  it("backfillConsensus fills in the consensus and its share of galaxies voted on before they were stored, once", async () => {
    const [g, h, none] = await addGalaxies(t.db, galaxyRows(3, { source: "backfill" }));
    for (const v of ["old-1", "old-2"]) await ensureVolunteer(t.db, v);
    await vote("old-1", g!, WALKS.edgeOn);
    await vote("old-1", h!, WALKS.spiral);
    await vote("old-2", h!, WALKS.round);
    // A star: no class, so no share.
    await vote("old-1", none!, WALKS.star);
    const stored = await Promise.all([g!, h!, none!].map(galaxy));
    expect(stored.map((x) => [x.consensus, x.consensusShare])).toEqual([["edge-on", 1], ["none", null], ["none", null]]);
    // As the migrations leave them: no consensus at all, or one without its share.
    await t.db.galaxy.update({ where: { id: g! }, data: { consensus: null, consensusShare: null } });
    await t.db.galaxy.update({ where: { id: h! }, data: { consensus: null } });
    expect(await backfillConsensus(t.db)).toBe(2);
    expect((await Promise.all([g!, h!, none!].map(galaxy))).map((x) => [x.consensus, x.consensusShare])).toEqual([
      ["edge-on", 1],
      ["none", null],
      ["none", null],
    ]);
    expect(await backfillConsensus(t.db)).toBe(0);
    expect(await checkTallies(t.db)).toEqual([]);
  });
});
