import { describe, expect, it } from "vitest";
import {
  checkTallies,
  classificationsPerDay,
  ConflictError,
  ensureVolunteer,
  InvalidInputError,
  listVolunteerClassifications,
  NotFoundError,
  submitClassification,
  type ClassificationSubmission,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

const submission = (volunteerId: string, galaxyId: number, answers: readonly string[]): ClassificationSubmission => ({
  volunteerId,
  galaxyId,
  answers: [...answers],
  startedAt: new Date(Date.now() - 5000),
  finishedAt: new Date(),
  userAgent: "vitest",
});

async function tallies(galaxyId: number): Promise<Record<string, number>> {
  const rows = await t.db.voteTally.findMany({ where: { galaxyId } });
  return Object.fromEntries(rows.map((r) => [r.answerId, r.count]));
}

describe("submitClassification", () => {
  it("keeps tallies equal to the recomputed counts through new, duplicate and conflicting submissions", async () => {
    const [g1, g2] = await addGalaxies(t.db, galaxyRows(2, { source: "submit" }));
    for (const v of ["alice", "bob", "carol"]) await ensureVolunteer(t.db, v);

    const first = await submitClassification(t.db, submission("alice", g1!, WALKS.spiral));
    expect(first.duplicate).toBe(false);
    expect(JSON.parse(first.classification.answers)).toEqual(WALKS.spiral);
    expect(first.classification.userAgent).toBe("vitest");
    await submitClassification(t.db, submission("bob", g1!, WALKS.spiral));
    await submitClassification(t.db, submission("carol", g1!, WALKS.round));
    await submitClassification(t.db, submission("alice", g2!, WALKS.star));

    // A retry with the same answers (dates as ISO strings, as JSON delivers them).
    const retry = await submitClassification(t.db, {
      ...submission("alice", g1!, WALKS.spiral),
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
    });
    expect(retry).toEqual({ classification: first.classification, duplicate: true });

    // Different answers for a galaxy alice already classified.
    await expect(submitClassification(t.db, submission("alice", g1!, WALKS.edgeOn))).rejects.toThrow(ConflictError);

    expect(await tallies(g1!)).toEqual({
      "1.1": 1, "7.1": 1, "6.2": 1,
      "1.2": 2, "2.2": 2, "3.2": 2, "4.1": 2, "10.2": 2, "11.2": 2, "5.2": 2, "6.1": 2, "8.1": 2,
    });
    expect(await tallies(g2!)).toEqual({ "1.3": 1 });
    const counts = await t.db.galaxy.findMany({ where: { id: { in: [g1!, g2!] } }, orderBy: { id: "asc" } });
    expect(counts.map((g) => g.classificationCount)).toEqual([3, 1]);
    expect(await t.db.classification.count()).toBe(4);
    expect(await checkTallies(t.db)).toEqual([]);
  });

  it("rejects an invalid walk or payload with a message naming the problem, changing nothing", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "invalid" }));
    await ensureVolunteer(t.db, "dave");
    const before = { classifications: await t.db.classification.count(), tallies: await t.db.voteTally.count() };

    await expect(submitClassification(t.db, submission("dave", g!, ["1.1", "2.1"]))).rejects.toThrow(
      /answer 2 \("2.1"\) does not answer question 7/,
    );
    await expect(submitClassification(t.db, submission("dave", g!, ["1.1", "7.1"]))).rejects.toThrow(
      /stops before question 6/,
    );
    await expect(submitClassification(t.db, submission("dave", g!, []))).rejects.toThrow(InvalidInputError);
    await expect(
      submitClassification(t.db, { ...submission("dave", g!, WALKS.round), startedAt: new Date(Date.now() + 60_000) }),
    ).rejects.toThrow(/finishedAt is before startedAt/);
    await expect(submitClassification(t.db, submission("nobody", g!, WALKS.round))).rejects.toThrow(
      new NotFoundError("volunteer nobody does not exist"),
    );
    await expect(submitClassification(t.db, submission("dave", 987_654, WALKS.round))).rejects.toThrow(NotFoundError);

    expect(await t.db.classification.count()).toBe(before.classifications);
    expect(await t.db.voteTally.count()).toBe(before.tallies);
    expect((await t.db.galaxy.findUniqueOrThrow({ where: { id: g! } })).classificationCount).toBe(0);
    expect(await checkTallies(t.db)).toEqual([]);
  });

  it("loses no vote when many volunteers submit at once", async () => {
    const galaxies = await addGalaxies(t.db, galaxyRows(3, { source: "race" }));
    const volunteers = Array.from({ length: 30 }, (_, i) => `racer-${i}`);
    await Promise.all(volunteers.map((v) => ensureVolunteer(t.db, v)));
    const walks = [WALKS.round, WALKS.spiral, WALKS.edgeOn, WALKS.cigar];
    const jobs = volunteers.flatMap((v, i) =>
      galaxies.map((g, j) => submitClassification(t.db, submission(v, g, walks[(i + j) % walks.length]!))),
    );
    // A retry racing the volunteer's first request, and a conflicting one.
    jobs.push(submitClassification(t.db, submission("racer-0", galaxies[0]!, walks[0]!)));
    const conflicting = submitClassification(t.db, submission("racer-1", galaxies[0]!, WALKS.star));
    const results = await Promise.all(jobs);
    await expect(conflicting).rejects.toThrow(ConflictError);
    expect(results.filter((r) => r.duplicate)).toHaveLength(1);

    const stored = await t.db.galaxy.findMany({ where: { id: { in: galaxies } }, orderBy: { id: "asc" } });
    expect(stored.map((g) => g.classificationCount)).toEqual([30, 30, 30]);
    for (const g of galaxies) {
      const counts = await tallies(g);
      expect(counts["1.1"]! + counts["1.2"]!).toBe(30);
    }
    expect(await checkTallies(t.db)).toEqual([]);
  });

  it("lists a volunteer's history newest first and counts per day", async () => {
    const [g1, g2, g3] = await addGalaxies(t.db, galaxyRows(3, { source: "history" }));
    await ensureVolunteer(t.db, "erin");
    const day = (iso: string) => ({ startedAt: new Date(`${iso}T09:59:00Z`), finishedAt: new Date(`${iso}T10:00:00Z`) });
    await submitClassification(t.db, { ...submission("erin", g1!, WALKS.round), ...day("2030-01-01") });
    await submitClassification(t.db, { ...submission("erin", g2!, WALKS.round), ...day("2030-01-03") });
    await submitClassification(t.db, { ...submission("erin", g3!, WALKS.star), ...day("2030-01-03") });

    const history = await listVolunteerClassifications(t.db, "erin");
    expect(history.map((c) => c.galaxyId)).toEqual([g3, g2, g1]);
    expect(history[0]!.galaxy.imagePath).toBe("images/history/2.jpg");
    const older = await listVolunteerClassifications(t.db, "erin", { before: history[0]!.id, take: 1 });
    expect(older.map((c) => c.galaxyId)).toEqual([g2]);

    const perDay = await classificationsPerDay(t.db, { days: 4, now: new Date("2030-01-04T12:00:00Z") });
    expect(perDay).toEqual([
      { day: "2030-01-01", count: 1 },
      { day: "2030-01-02", count: 0 },
      { day: "2030-01-03", count: 2 },
      { day: "2030-01-04", count: 0 },
    ]);
  });

  it("checkTallies reports a tally that drifted from the classifications", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "drift" }));
    await ensureVolunteer(t.db, "frank");
    await submitClassification(t.db, submission("frank", g!, WALKS.round));
    await t.db.voteTally.update({ where: { galaxyId_answerId: { galaxyId: g!, answerId: "7.1" } }, data: { count: 5 } });
    expect(await checkTallies(t.db)).toEqual([{ galaxyId: g, field: "7.1", stored: 5, recomputed: 1 }]);
  });
});
