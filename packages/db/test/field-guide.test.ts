import { describe, expect, it } from "vitest";
import { answerExamples, ensureVolunteer, retireGalaxy, setGoldStandards, submitClassification } from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

async function crowd(galaxyId: number, walks: readonly (readonly string[])[]) {
  for (const [i, answers] of walks.entries()) {
    const volunteer = await ensureVolunteer(t.db, `v${i}`);
    await submitClassification(
      t.db,
      { volunteerId: volunteer.id, galaxyId, answers: [...answers], startedAt: new Date(), finishedAt: new Date() },
      { requireHandout: false, rules: null },
    );
  }
}

describe("field guide examples", () => {
  it("are retired galaxies whose volunteers agreed on an answer, clearest first, never active ones", async () => {
    const [unanimous, mostly, active, split] = await addGalaxies(t.db, galaxyRows(4));
    await crowd(unanimous!, Array(6).fill(WALKS.round));
    await crowd(mostly!, [...Array(5).fill(WALKS.round), WALKS.spiral]);
    await crowd(active!, Array(6).fill(WALKS.round));
    await crowd(split!, [...Array(3).fill(WALKS.round), ...Array(3).fill(WALKS.spiral)]);
    for (const g of [unanimous!, mostly!, split!]) await retireGalaxy(t.db, g, "count");

    const examples = await answerExamples(t.db, { perAnswer: 3, minShare: 0.8, minVotes: 5 });
    // 1.1 smooth: 6 of 6, then 5 of 6 (83%); the 3-3 split and the active galaxy are no examples.
    expect(examples["1.1"]!.map((e) => [e.galaxyId, e.share, e.votes])).toEqual([
      [unanimous, 1, 6],
      [mostly, 5 / 6, 6],
    ]);
    // Q7 is answered only by the smooth votes: 6 and 5 of them, all "completely round".
    expect(examples["7.1"]!.map((e) => [e.galaxyId, e.votes])).toEqual([
      [unanimous, 6],
      [mostly, 5],
    ]);
    expect(examples["1.2"]).toBeUndefined();
    expect((await answerExamples(t.db, { perAnswer: 1, minShare: 0.8, minVotes: 6 }))["7.1"]!.map((e) => e.galaxyId)).toEqual([unanimous]);
    // A gold galaxy is a test for volunteers, never an example they could have seen.
    await setGoldStandards(t.db, [{ galaxyId: unanimous!, answers: WALKS.round }], { origin: "researcher" });
    expect((await answerExamples(t.db))["1.1"]!.map((e) => e.galaxyId)).toEqual([mostly]);
  });
});
