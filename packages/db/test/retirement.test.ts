import { describe, expect, it } from "vitest";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import {
  createModelVersion,
  ensureVolunteer,
  getGalaxy,
  retireIfDone,
  retirementRules,
  submitClassification,
  upsertPredictions,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

const classify = (volunteerId: string, galaxyId: number, walk: readonly string[]) =>
  submitClassification(t.db, { volunteerId, galaxyId, answers: [...walk], startedAt: new Date(), finishedAt: new Date() });

describe("retireIfDone", () => {
  it("applies the retirement rules to a galaxy's votes and its latest prediction", async () => {
    const [split, agreed, confident] = await addGalaxies(t.db, galaxyRows(3, { source: "retire" }));
    const volunteers = Array.from({ length: 6 }, (_, i) => `v${i}`);
    for (const v of volunteers) await ensureVolunteer(t.db, v);
    const rules = { ...DEFAULT_RETIREMENT, count: 6 };

    // Volunteers split between round and spiral: no consensus, retired on count at the 6th vote.
    for (const [i, v] of volunteers.entries()) {
      await classify(v, split!, i % 2 === 0 ? WALKS.round : WALKS.spiral);
      expect(await retireIfDone(t.db, split!, rules)).toBe(i === 5 ? "count" : null);
    }
    // A second call finds it retired already.
    expect(await retireIfDone(t.db, split!, rules)).toBeNull();

    // Five volunteers agree: consensus at its minimum of five votes.
    for (const [i, v] of volunteers.slice(0, 5).entries()) {
      await classify(v, agreed!, WALKS.round);
      expect(await retireIfDone(t.db, agreed!, rules)).toBe(i === 4 ? "consensus" : null);
    }
    expect((await getGalaxy(t.db, agreed!))!.retirementReason).toBe("consensus");

    // A confident model that agrees with the volunteers retires after three votes.
    const version = await createModelVersion(t.db, { version: "r1", path: "models/r1", config: {}, metrics: {} });
    const probabilities = { round: 0.02, "in-between": 0.02, cigar: 0.02, "edge-on": 0.02, spiral: 0.92 };
    await upsertPredictions(t.db, version.id, [{ galaxyId: confident!, probabilities, predictedClass: "spiral", acquisition: 0.1 }]);
    for (const [i, v] of volunteers.slice(0, 3).entries()) {
      await classify(v, confident!, i === 0 ? WALKS.round : WALKS.spiral);
      expect(await retireIfDone(t.db, confident!, rules)).toBe(i === 2 ? "model-confident" : null);
    }
  });
});

describe("retirementRules", () => {
  it("are HIWL's defaults unless $HIWL_RETIREMENT overrides some of them", () => {
    expect(retirementRules(undefined)).toEqual(DEFAULT_RETIREMENT);
    expect(retirementRules("")).toEqual(DEFAULT_RETIREMENT);
    expect(retirementRules('{"count": 20, "consensusShare": 0.8}')).toEqual({ ...DEFAULT_RETIREMENT, count: 20, consensusShare: 0.8 });
  });

  it("name what is wrong with a bad value", () => {
    expect(() => retirementRules("{count: 20}")).toThrow(/HIWL_RETIREMENT is not JSON/);
    expect(() => retirementRules('{"count": 0}')).toThrow(/HIWL_RETIREMENT: count: /);
    expect(() => retirementRules('{"consensusShare": 1.5}')).toThrow(/HIWL_RETIREMENT: consensusShare: /);
    expect(() => retirementRules('{"cont": 20}')).toThrow(/HIWL_RETIREMENT: .*cont/);
  });
});
