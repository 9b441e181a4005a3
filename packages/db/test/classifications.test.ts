import { randomUUID } from "node:crypto";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import { describe, expect, it } from "vitest";
import {
  checkTallies,
  classificationsPerDay,
  ConflictError,
  createModelVersion,
  activateModelVersion,
  ensureVolunteer,
  getGalaxy,
  handOutGalaxy,
  InvalidInputError,
  listVolunteerClassifications,
  NotFoundError,
  retireGalaxy,
  submitClassification,
  upsertPredictions,
  type ClassificationSubmission,
  type SubmitOptions,
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

/** Tests of the bookkeeping itself skip the hand-out (tested on its own below). */
const simulated: SubmitOptions = { requireHandout: false };
const submit = (s: ClassificationSubmission, options: SubmitOptions = simulated) => submitClassification(t.db, s, options);

async function tallies(galaxyId: number): Promise<Record<string, number>> {
  const rows = await t.db.voteTally.findMany({ where: { galaxyId } });
  return Object.fromEntries(rows.map((r) => [r.answerId, r.count]));
}

/** Everything a submission may change, to show that a refused one changed nothing. */
async function snapshot() {
  return {
    classifications: await t.db.classification.findMany({ orderBy: { id: "asc" } }),
    tallies: await t.db.voteTally.findMany({ orderBy: [{ galaxyId: "asc" }, { answerId: "asc" }] }),
    galaxies: await t.db.galaxy.findMany({ orderBy: { id: "asc" } }),
    handouts: await t.db.handout.findMany({ orderBy: [{ volunteerId: "asc" }, { galaxyId: "asc" }] }),
  };
}

describe("submitClassification", () => {
  it("keeps tallies, counts and the consensus equal to the recomputed ones through new, retried and conflicting submissions", async () => {
    const [g1, g2] = await addGalaxies(t.db, galaxyRows(2, { source: "submit" }));
    for (const v of ["alice", "bob", "carol"]) await ensureVolunteer(t.db, v);

    const key = randomUUID();
    const first = await submit({ ...submission("alice", g1!, WALKS.spiral), idempotencyKey: key });
    expect(first.duplicate).toBe(false);
    expect(first.classification).toMatchObject({ idempotencyKey: key, flag: null, clientKey: null, userAgent: "vitest" });
    expect(first.classification.answers).toEqual(WALKS.spiral);
    await submit(submission("bob", g1!, WALKS.spiral));
    const third = await submit(submission("carol", g1!, WALKS.round));
    await submit(submission("alice", g2!, WALKS.star));
    // The galaxy as the vote left it, built inside its transaction: what a later read finds.
    expect(third.galaxy).toEqual(await getGalaxy(t.db, g1!));
    expect(third.galaxy).toMatchObject({ classificationCount: 3, voteCounts: { "1.2": 2, "1.1": 1 } });

    // A retry of the same walk (dates as ISO strings, as JSON delivers them) returns the stored one.
    const retry = await submit({
      ...submission("alice", g1!, WALKS.spiral),
      idempotencyKey: key,
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
    });
    expect(retry).toEqual({ classification: first.classification, duplicate: true, retired: null, galaxy: await getGalaxy(t.db, g1!) });

    // The same key with other answers, or for another galaxy; a new walk of a galaxy already done.
    const before = await snapshot();
    await expect(submit({ ...submission("alice", g1!, WALKS.edgeOn), idempotencyKey: key })).rejects.toThrow(
      /idempotency key was already used for another classification/,
    );
    await expect(submit({ ...submission("alice", g2!, WALKS.spiral), idempotencyKey: key })).rejects.toThrow(ConflictError);
    await expect(submit({ ...submission("bob", g1!, WALKS.spiral), idempotencyKey: key })).rejects.toThrow(ConflictError);
    await expect(submit(submission("alice", g1!, WALKS.spiral))).rejects.toThrow(`you have already classified galaxy ${g1}`);
    expect(await snapshot()).toEqual(before);

    expect(await tallies(g1!)).toEqual({
      "1.1": 1, "7.1": 1, "6.2": 1,
      "1.2": 2, "2.2": 2, "3.2": 2, "4.1": 2, "10.2": 2, "11.2": 2, "5.2": 2, "6.1": 2, "8.1": 2,
    });
    expect(await tallies(g2!)).toEqual({ "1.3": 1 });
    const stored = await t.db.galaxy.findMany({ where: { id: { in: [g1!, g2!] } }, orderBy: { id: "asc" } });
    expect(stored.map((g) => [g.classificationCount, g.consensus])).toEqual([
      [3, "none"],
      [1, "none"],
    ]);
    expect(await t.db.classification.count({ where: { galaxyId: { in: [g1!, g2!] } } })).toBe(4);
    expect(await checkTallies(t.db)).toEqual([]);
  });

  it("rejects an invalid walk or payload with a message naming the problem, changing nothing", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "invalid" }));
    await ensureVolunteer(t.db, "dave");
    const before = await snapshot();

    await expect(submit(submission("dave", g!, ["1.1", "2.1"]))).rejects.toThrow(/answer 2 \("2.1"\) does not answer question 7/);
    await expect(submit(submission("dave", g!, ["1.1", "7.1"]))).rejects.toThrow(/stops before question 6/);
    await expect(submit(submission("dave", g!, [...WALKS.round, "8.1"]))).rejects.toThrow(InvalidInputError);
    await expect(submit(submission("dave", g!, []))).rejects.toThrow(InvalidInputError);
    await expect(submit({ ...submission("dave", g!, WALKS.round), startedAt: new Date(Date.now() + 60_000) })).rejects.toThrow(
      /finishedAt is before startedAt/,
    );
    const future = new Date("2099-01-01T00:00:00Z");
    await expect(submit({ ...submission("dave", g!, WALKS.round), startedAt: future, finishedAt: future })).rejects.toThrow(
      /finishedAt is in the future/,
    );
    await expect(submit({ ...submission("dave", g!, WALKS.round), idempotencyKey: "short" })).rejects.toThrow(/idempotencyKey/);
    await expect(submit(submission("nobody", g!, WALKS.round))).rejects.toThrow(new NotFoundError("volunteer nobody does not exist"));
    await expect(submit(submission("dave", 987_654, WALKS.round))).rejects.toThrow(new NotFoundError("galaxy 987654 does not exist"));

    expect(await snapshot()).toEqual(before);
    expect(await checkTallies(t.db)).toEqual([]);
  });

  it("loses no vote when many volunteers submit at once", async () => {
    const galaxies = await addGalaxies(t.db, galaxyRows(3, { source: "race" }));
    const volunteers = Array.from({ length: 30 }, (_, i) => `racer-${i}`);
    await Promise.all(volunteers.map((v) => ensureVolunteer(t.db, v)));
    const walks = [WALKS.round, WALKS.spiral, WALKS.edgeOn, WALKS.cigar];
    const key = randomUUID();
    const jobs = volunteers.flatMap((v, i) =>
      galaxies.map((g, j) =>
        submit({ ...submission(v, g, walks[(i + j) % walks.length]!), ...(i === 0 && j === 0 && { idempotencyKey: key }) }, {
          ...simulated,
          rules: null,
        }),
      ),
    );
    // A retry racing the volunteer's first request, and a new walk of the same galaxy.
    jobs.push(submit({ ...submission("racer-0", galaxies[0]!, walks[0]!), idempotencyKey: key }, { ...simulated, rules: null }));
    jobs.push(submit(submission("racer-1", galaxies[0]!, WALKS.star)));
    const settled = await Promise.allSettled(jobs);
    // Of racer-1's two walks of the first galaxy, whichever commits first is stored (on
    // PostgreSQL either may), and the other is refused.
    const refused = settled.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(ConflictError);
    const results = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(results.filter((r) => r.duplicate)).toHaveLength(1);

    const stored = await t.db.galaxy.findMany({ where: { id: { in: galaxies } }, orderBy: { id: "asc" } });
    expect(stored.map((g) => g.classificationCount)).toEqual([30, 30, 30]);
    for (const g of galaxies) {
      const counts = await tallies(g);
      expect((counts["1.1"] ?? 0) + (counts["1.2"] ?? 0) + (counts["1.3"] ?? 0)).toBe(30);
    }
    expect(await checkTallies(t.db)).toEqual([]);
  });

  it("lists a volunteer's history newest first and counts per day", async () => {
    const [g1, g2, g3] = await addGalaxies(t.db, galaxyRows(3, { source: "history" }));
    await ensureVolunteer(t.db, "erin");
    const day = (iso: string) => ({ startedAt: new Date(`${iso}T09:59:00Z`), finishedAt: new Date(`${iso}T10:00:00Z`) });
    await submit({ ...submission("erin", g1!, WALKS.round), ...day("2026-01-01") });
    await submit({ ...submission("erin", g2!, WALKS.round), ...day("2026-01-03") });
    await submit({ ...submission("erin", g3!, WALKS.star), ...day("2026-01-03") });

    const history = await listVolunteerClassifications(t.db, "erin");
    expect(history.map((c) => c.galaxyId)).toEqual([g3, g2, g1]);
    expect(history[0]!.galaxy.imagePath).toBe("images/history/2.jpg");
    const older = await listVolunteerClassifications(t.db, "erin", { before: history[0]!.id, take: 1 });
    expect(older.map((c) => c.galaxyId)).toEqual([g2]);

    const perDay = await classificationsPerDay(t.db, { days: 4, now: new Date("2026-01-04T12:00:00Z") });
    expect(perDay).toEqual([
      { day: "2026-01-01", count: 1 },
      { day: "2026-01-02", count: 0 },
      { day: "2026-01-03", count: 2 },
      { day: "2026-01-04", count: 0 },
    ]);
  });

  it("checkTallies reports a tally, a count or a consensus that drifted from the classifications", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "drift" }));
    await ensureVolunteer(t.db, "frank");
    await submit(submission("frank", g!, WALKS.round));
    await t.db.voteTally.update({ where: { galaxyId_answerId: { galaxyId: g!, answerId: "7.1" } }, data: { count: 5 } });
    await t.db.galaxy.update({ where: { id: g! }, data: { consensus: "spiral" } });
    expect(await checkTallies(t.db)).toEqual([
      { galaxyId: g, field: "7.1", stored: 5, recomputed: 1 },
      { galaxyId: g, field: "consensus", stored: "spiral", recomputed: "round" },
    ]);
    await t.db.voteTally.update({ where: { galaxyId_answerId: { galaxyId: g!, answerId: "7.1" } }, data: { count: 1 } });
    await t.db.galaxy.update({ where: { id: g! }, data: { consensus: "round" } });
    expect(await checkTallies(t.db)).toEqual([]);
  });
});

describe("hand-outs", () => {
  const rules = { ...DEFAULT_RETIREMENT, count: 3 };

  it("accept a classification only for a galaxy handed to its volunteer and not expired, changing nothing otherwise", async () => {
    const [g1, g2] = await addGalaxies(t.db, galaxyRows(2, { source: "handout" }));
    await t.db.galaxy.update({ where: { id: g1! }, data: { priority: 10 } });
    await ensureVolunteer(t.db, "gina");
    await ensureVolunteer(t.db, "hal");

    // Never handed out: refused.
    let before = await snapshot();
    await expect(submitClassification(t.db, submission("gina", g1!, WALKS.round))).rejects.toThrow(
      new ConflictError(`galaxy ${g1} was not handed to you: ask for the next galaxy`),
    );
    expect(await snapshot()).toEqual(before);

    // Handed out: asking again gives the same galaxy, not a second hand-out.
    const served = await handOutGalaxy(t.db, "gina", { minutes: 60, spread: 1 });
    expect(served!.id).toBe(g1);
    expect((await handOutGalaxy(t.db, "gina", { minutes: 60, spread: 1 }))!.id).toBe(g1);
    expect(await t.db.handout.count({ where: { volunteerId: "gina" } })).toBe(1);
    // Another volunteer's hand-out is not this one's.
    await expect(submitClassification(t.db, submission("hal", g1!, WALKS.round))).rejects.toThrow(ConflictError);

    const done = await submitClassification(t.db, submission("gina", g1!, WALKS.round), { rules });
    expect(done.classification.flag).toBeNull();
    // The hand-out is used up with the vote.
    expect(await t.db.handout.count({ where: { volunteerId: "gina" } })).toBe(0);
    expect((await handOutGalaxy(t.db, "gina", { minutes: 60, spread: 1 }))!.id).toBe(g2);

    // Expired: refused with the time it expired.
    await t.db.handout.update({
      where: { volunteerId_galaxyId: { volunteerId: "gina", galaxyId: g2! } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    before = await snapshot();
    await expect(submitClassification(t.db, submission("gina", g2!, WALKS.round))).rejects.toThrow(
      new RegExp(`your hand-out of galaxy ${g2} expired at .*: ask for the next galaxy`),
    );
    expect(await snapshot()).toEqual(before);
  });

  it("take the vote of a galaxy retired after it was handed out, flagged, without changing its retirement", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "late" }));
    await t.db.galaxy.update({ where: { id: g! }, data: { priority: 100 } });
    await ensureVolunteer(t.db, "ida");
    expect((await handOutGalaxy(t.db, "ida", { minutes: 60, spread: 1 }))!.id).toBe(g);
    await retireGalaxy(t.db, g!, "count");
    const retired = await t.db.galaxy.findUniqueOrThrow({ where: { id: g! } });
    // Not handed out again once retired.
    expect((await handOutGalaxy(t.db, "ida", { minutes: 60, spread: 1 }))?.id).not.toBe(g);

    const late = await submitClassification(t.db, submission("ida", g!, WALKS.spiral), { rules });
    expect(late).toMatchObject({ duplicate: false, retired: null, classification: { flag: "after_retirement" } });
    const after = await t.db.galaxy.findUniqueOrThrow({ where: { id: g! } });
    expect(after).toMatchObject({ retiredAt: retired.retiredAt, retirementReason: "count", classificationCount: 1 });
    expect(await checkTallies(t.db)).toEqual([]);
  });
});

describe("retirement", () => {
  const classify = (volunteerId: string, galaxyId: number, walk: readonly string[], options: SubmitOptions = {}) =>
    submit(submission(volunteerId, galaxyId, walk), { ...simulated, rules: { ...DEFAULT_RETIREMENT, count: 6 }, ...options });

  it("happens in the classification that completes the galaxy, by count, consensus or a confident active model", async () => {
    const [split, agreed, confident] = await addGalaxies(t.db, galaxyRows(3, { source: "retire" }));
    const volunteers = Array.from({ length: 6 }, (_, i) => `r${i}`);
    for (const v of volunteers) await ensureVolunteer(t.db, v);

    // Volunteers split between round and spiral: no consensus, retired on count at the 6th vote.
    for (const [i, v] of volunteers.entries()) {
      const { retired } = await classify(v, split!, i % 2 === 0 ? WALKS.round : WALKS.spiral);
      expect(retired).toBe(i === 5 ? "count" : null);
    }
    expect(await t.db.galaxy.findUniqueOrThrow({ where: { id: split! } })).toMatchObject({ retirementReason: "count" });

    // Five volunteers agree: consensus at its minimum of five votes.
    for (const [i, v] of volunteers.slice(0, 5).entries()) {
      expect((await classify(v, agreed!, WALKS.round)).retired).toBe(i === 4 ? "consensus" : null);
    }
    expect(await t.db.galaxy.findUniqueOrThrow({ where: { id: agreed! } })).toMatchObject({
      retirementReason: "consensus",
      consensus: "round",
    });

    // A confident prediction retires after three agreeing votes, but only the active version's.
    const probabilities = { round: 0.02, "in-between": 0.02, cigar: 0.02, "edge-on": 0.02, spiral: 0.92 };
    const inactive = await createModelVersion(t.db, { version: "r-inactive", path: "models/r0", config: {}, metrics: {} });
    await upsertPredictions(t.db, inactive.id, [{ galaxyId: confident!, probabilities, predictedClass: "spiral", acquisition: 0.1 }]);
    for (const [i, v] of volunteers.slice(0, 3).entries()) {
      expect((await classify(v, confident!, i === 0 ? WALKS.round : WALKS.spiral)).retired).toBeNull();
    }
    const active = await createModelVersion(t.db, { version: "r-active", path: "models/r1", config: {}, metrics: {} });
    await activateModelVersion(t.db, active.id);
    await upsertPredictions(t.db, active.id, [{ galaxyId: confident!, probabilities, predictedClass: "spiral", acquisition: 0.1 }]);
    expect((await classify(volunteers[3]!, confident!, WALKS.spiral)).retired).toBe("model-confident");
    // Stored with the vote: the consensus and its share of the crowd's five-class distribution
    // (one smooth vote in four: disk 3/4, all of it face-on, so spiral takes 0.75).
    expect(await t.db.galaxy.findUniqueOrThrow({ where: { id: confident! } })).toMatchObject({ consensus: "spiral", consensusShare: 0.75 });
    expect(await t.db.galaxy.findUniqueOrThrow({ where: { id: agreed! } })).toMatchObject({ consensus: "round", consensusShare: 1 });
    expect(await checkTallies(t.db)).toEqual([]);
  });

  it("counts at most votesPerAddress votes of one network address toward a galaxy", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "address" }));
    const flood = Array.from({ length: 12 }, (_, i) => `flood-${i}`);
    for (const v of flood) await ensureVolunteer(t.db, v);
    const results = [];
    for (const v of flood) {
      results.push(await submit({ ...submission(v, g!, WALKS.edgeOn), clientKey: "a".repeat(32) }, { ...simulated, votesPerAddress: 2 }));
    }
    expect(results.map((r) => r.classification.flag)).toEqual([null, null, ...new Array<string>(10).fill("same_address")]);
    expect(results.every((r) => r.retired === null)).toBe(true);
    const galaxy = await t.db.galaxy.findUniqueOrThrow({ where: { id: g! } });
    expect(galaxy).toMatchObject({ classificationCount: 2, retiredAt: null });
    expect(await tallies(g!)).toEqual({ "1.2": 2, "2.1": 2, "9.1": 2, "6.2": 2 });
    // Votes from elsewhere and from simulations still count.
    await ensureVolunteer(t.db, "elsewhere");
    await submit({ ...submission("elsewhere", g!, WALKS.edgeOn), clientKey: "b".repeat(32) }, { ...simulated, votesPerAddress: 2 });
    expect((await t.db.galaxy.findUniqueOrThrow({ where: { id: g! } })).classificationCount).toBe(3);
    expect(await checkTallies(t.db)).toEqual([]);
  });
});
