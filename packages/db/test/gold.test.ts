import { DEFAULT_RETIREMENT, chainedFractions, countAnswers, reliabilityWeight } from "@hiwl/model";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_GOLD_MIXING,
  InvalidInputError,
  NotFoundError,
  ensureVolunteer,
  getGoldAnswers,
  goldFeedback,
  goldMixing,
  handOutGalaxy,
  listGoldStandards,
  listTrainingGalaxies,
  listVolunteerSkills,
  nextGalaxy,
  refreshVolunteerSkills,
  retireGalaxies,
  setGoldStandards,
  submitClassification,
  unsetGoldStandard,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

const vote = (volunteerId: string, galaxyId: number, answers: readonly string[]) =>
  submitClassification(
    t.db,
    { volunteerId, galaxyId, answers: [...answers], startedAt: new Date(Date.now() - 5000), finishedAt: new Date() },
    { requireHandout: false, rules: DEFAULT_RETIREMENT },
  );

/** A draw sequence for handOutGalaxy's random(): the queue's spread first, then the gold draws. */
const draws = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe("the gold standard", () => {
  it("is set all or none, with errors naming the galaxy and the problem", async () => {
    const [a, b] = await addGalaxies(t.db, galaxyRows(2, { source: "gold-set" }));
    await expect(
      setGoldStandards(t.db, [{ galaxyId: a!, answers: WALKS.round }, { galaxyId: b!, answers: ["1.1", "2.1"] }], { origin: "researcher" }),
    ).rejects.toThrow(InvalidInputError);
    await expect(
      setGoldStandards(t.db, [{ galaxyId: b!, answers: ["1.1", "2.1"] }], { origin: "researcher" }),
    ).rejects.toThrow(new RegExp(`galaxy ${b}: the expert answers are not a walk of the tree`));
    await expect(setGoldStandards(t.db, [{ galaxyId: a!, answers: WALKS.round }, { galaxyId: 999_999, answers: WALKS.round }], { origin: "x" })).rejects.toThrow(
      new NotFoundError("galaxy 999999 does not exist"),
    );
    expect(await t.db.goldStandard.count()).toBe(0);

    expect(await setGoldStandards(t.db, [{ galaxyId: a!, answers: WALKS.round }], { origin: "researcher" })).toBe(1);
    // Answering again replaces the walk.
    await setGoldStandards(t.db, [{ galaxyId: a!, answers: WALKS.cigar }], { origin: "import:experts.csv" });
    expect(await getGoldAnswers(t.db, a!)).toEqual(WALKS.cigar);
    expect((await listGoldStandards(t.db)).map((g) => [g.galaxyId, g.origin, g.classifications])).toEqual([[a, "import:experts.csv", 0]]);
    expect(await unsetGoldStandard(t.db, a!)).toBe(true);
    expect(await unsetGoldStandard(t.db, a!)).toBe(false);
    expect(await getGoldAnswers(t.db, b!)).toBeNull();
  });

  it("is mixed into a volunteer's queue at the configured rates, never by priority, never alone", async () => {
    const [gold1, gold2, plain] = await addGalaxies(t.db, galaxyRows(3, { source: "gold-queue" }));
    // The gold galaxies top the priorities: the queue must still pass them over.
    await t.db.galaxy.updateMany({ where: { id: { in: [gold1!, gold2!] } }, data: { priority: 1000 } });
    await t.db.galaxy.update({ where: { id: plain! }, data: { priority: 500 } });
    await setGoldStandards(t.db, [gold1!, gold2!].map((galaxyId) => ({ galaxyId, answers: WALKS.spiral })), { origin: "researcher" });
    await ensureVolunteer(t.db, "newcomer");
    for (let i = 0; i < 20; i++) expect((await nextGalaxy(t.db, "newcomer", { spread: 1 }))!.id).toBe(plain);

    const always = { earlyGalaxies: 1, earlyRate: 1, lateRate: 0 };
    const first = await handOutGalaxy(t.db, "newcomer", { minutes: 60, spread: 1, gold: always, random: draws(0, 0, 0.99) });
    // draws: 0 picks the queue's head, 0 < earlyRate picks gold, 0.99 the last of the two gold galaxies.
    expect(first!.id).toBe(gold2);
    // A gold hand-out is kept like any other, retired or not.
    await retireGalaxies(t.db, [{ galaxyId: gold2!, reason: "count" }]);
    expect((await handOutGalaxy(t.db, "newcomer", { minutes: 60, gold: always }))!.id).toBe(gold2);
    const result = await submitClassification(
      t.db,
      { volunteerId: "newcomer", galaxyId: gold2!, answers: [...WALKS.spiral], startedAt: new Date(Date.now() - 1000), finishedAt: new Date() },
      { rules: DEFAULT_RETIREMENT },
    );
    expect(result.classification.flag).toBe("gold");

    // One galaxy classified: past earlyGalaxies, the late rate (0) applies.
    for (let i = 0; i < 10; i++) {
      await t.db.handout.deleteMany({ where: { volunteerId: "newcomer" } });
      expect((await handOutGalaxy(t.db, "newcomer", { minutes: 60, spread: 1, gold: always }))!.id).toBe(plain);
    }
    await t.db.handout.deleteMany({ where: { volunteerId: "newcomer" } });
    const late = { earlyGalaxies: 1, earlyRate: 0, lateRate: 1 };
    expect((await handOutGalaxy(t.db, "newcomer", { minutes: 60, gold: late }))!.id).toBe(gold1);

    // With nothing left in the queue, no gold either: the volunteer has done their part.
    await t.db.handout.deleteMany({ where: { volunteerId: "newcomer" } });
    await retireGalaxies(t.db, [{ galaxyId: plain!, reason: "count" }]);
    await t.db.galaxy.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date() } });
    expect(await handOutGalaxy(t.db, "newcomer", { minutes: 60, gold: late })).toBeNull();
  });

  it("takes votes in the tallies but never retires through them, nor by a scoring run", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1, { source: "gold-retire" }));
    await setGoldStandards(t.db, [{ galaxyId: g!, answers: WALKS.round }], { origin: "researcher" });
    for (let i = 0; i < DEFAULT_RETIREMENT.count + 2; i++) {
      await ensureVolunteer(t.db, `unanimous-${i}`);
      const { classification, retired } = await vote(`unanimous-${i}`, g!, WALKS.round);
      expect([classification.flag, retired]).toEqual(["gold", null]);
    }
    expect(await retireGalaxies(t.db, [{ galaxyId: g!, reason: "model-confident" }])).toBe(0);
    const galaxy = await t.db.galaxy.findUniqueOrThrow({ where: { id: g! } });
    expect([galaxy.retiredAt, galaxy.classificationCount, galaxy.consensus]).toEqual([null, DEFAULT_RETIREMENT.count + 2, "round"]);
  });

  it("feedback compares the questions both the volunteer and the expert answered", () => {
    expect(goldFeedback(WALKS.spiral, WALKS.spiral).every((f) => f.agreed)).toBe(true);
    expect(goldFeedback(WALKS.edgeOn, WALKS.spiral)).toEqual([
      { questionId: "1", given: "1.2", expected: "1.2", agreed: true },
      { questionId: "2", given: "2.1", expected: "2.2", agreed: false },
      // Q9 only the volunteer reached; Q6 both did.
      { questionId: "6", given: "6.2", expected: "6.1", agreed: false },
    ]);
    expect(goldFeedback(WALKS.round, WALKS.star)).toEqual([{ questionId: "1", given: "1.1", expected: "1.3", agreed: false }]);
  });

  it("mixing rates come from $HIWL_GOLD, checked", () => {
    expect(goldMixing(undefined)).toEqual(DEFAULT_GOLD_MIXING);
    expect(goldMixing('{"earlyRate": 0.5}')).toEqual({ ...DEFAULT_GOLD_MIXING, earlyRate: 0.5 });
    expect(() => goldMixing('{"earlyRate": 2}')).toThrow(/HIWL_GOLD: earlyRate/);
    expect(() => goldMixing('{"rate": 0.1}')).toThrow(/HIWL_GOLD/);
  });
});

describe("volunteer skills", () => {
  it("rank the volunteer who agrees with gold and the crowd above the one who does not, and weight the training fractions by it", async () => {
    const ids = await addGalaxies(t.db, galaxyRows(8, { source: "skills" }));
    const [goldGalaxy, ...others] = ids as [number, ...number[]];
    await setGoldStandards(t.db, [{ galaxyId: goldGalaxy, answers: WALKS.spiral }], { origin: "researcher" });
    for (const v of ["careful", "also-careful", "third", "clicker"]) await ensureVolunteer(t.db, v);
    await vote("careful", goldGalaxy, WALKS.spiral);
    await vote("clicker", goldGalaxy, WALKS.star);
    for (const g of others) {
      await vote("careful", g, WALKS.edgeOn);
      await vote("also-careful", g, WALKS.edgeOn);
      await vote("third", g, WALKS.edgeOn);
      await vote("clicker", g, WALKS.star);
    }

    const voters = await t.db.volunteer.count({ where: { classifications: { some: {} } } });
    expect((await refreshVolunteerSkills(t.db)).volunteers).toBe(voters);
    const { volunteers, updatedAt } = await listVolunteerSkills(t.db);
    expect(updatedAt).toBeInstanceOf(Date);
    const byId = new Map(volunteers.filter((v) => ["careful", "clicker"].includes(v.volunteerId)).map((v) => [v.volunteerId, v]));
    const careful = byId.get("careful")!;
    const clicker = byId.get("clicker")!;
    expect([careful.classifications, careful.goldAnswers, careful.goldAgreement]).toEqual([8, WALKS.spiral.length, WALKS.spiral.length]);
    expect([clicker.goldAnswers, clicker.goldAgreement]).toEqual([1, 0]);
    expect(careful.reliability!).toBeGreaterThan(0.8);
    expect(clicker.reliability!).toBeLessThan(0.5);
    const q1 = (v: typeof careful) => v.questions.find((q) => q.questionId === "1")!;
    expect(q1(careful).weight).toBeCloseTo(reliabilityWeight(q1(careful).reliability!, 3), 12);
    expect(q1(clicker).weight).toBeLessThan(q1(careful).weight);

    // The trainer's fractions: plain tallies give the clicker's "star" a quarter of Q1; weighted, less.
    const plain = new Map((await listTrainingGalaxies(t.db, { source: "skills" })).map((g) => [g.id, g.voteFractions!]));
    const weighted = new Map(
      (await listTrainingGalaxies(t.db, { source: "skills", weighting: "reliability" })).map((g) => [g.id, g.voteFractions!]),
    );
    const STAR = 2; // "1.3" in ANSWER_IDS order
    expect(plain.get(others[0]!)![STAR]).toBeCloseTo(0.25, 12);
    expect(weighted.get(others[0]!)![STAR]).toBeLessThan(0.1);
    // A gold galaxy learns from its expert's walk, however the crowd voted.
    const expert = chainedFractions(countAnswers([WALKS.spiral]).counts);
    expect(plain.get(goldGalaxy)).toEqual(expert);
    expect(weighted.get(goldGalaxy)).toEqual(expert);
  });
});
