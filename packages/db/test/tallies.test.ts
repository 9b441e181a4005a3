import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { countAnswers, cumulativeFractions } from "@hiwl/model";
import { describe, expect, it } from "vitest";
import {
  activeGalaxiesForScoring,
  backfillImageHashes,
  ensureVolunteer,
  getGalaxy,
  insertGalaxies,
  listTrainingGalaxies,
  listVoteFractions,
  readTallies,
  submitClassification,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

describe("readTallies, the one reader of vote tallies", () => {
  it("gives every reader the same counts and fractions, across chunks of ids", async () => {
    // More galaxies than one statement's chunk of ids, votes on both sides of the boundary.
    const ids = await addGalaxies(t.db, galaxyRows(1200, { source: "tallies" }));
    const walks = new Map<number, (readonly string[])[]>([
      [ids[3]!, [WALKS.round, WALKS.round, WALKS.cigar]],
      [ids[700]!, [WALKS.spiral, WALKS.edgeOn]],
      [ids[1100]!, [WALKS.star]],
    ]);
    for (const [galaxyId, list] of walks) {
      for (const [i, answers] of list.entries()) {
        await ensureVolunteer(t.db, `tv${i}`);
        await submitClassification(
          t.db,
          { volunteerId: `tv${i}`, galaxyId, answers: [...answers], startedAt: new Date(), finishedAt: new Date() },
          { requireHandout: false, rules: null },
        );
      }
    }

    const tallies = await readTallies(t.db, [...ids, 987654]);
    // Every galaxy that exists, none that does not.
    expect(tallies.size).toBe(ids.length);
    expect(tallies.get(ids[0]!)).toEqual({ galaxyId: ids[0], classificationCount: 0, counts: {}, voteFractions: cumulativeFractions({}, 0) });
    for (const [galaxyId, list] of walks) {
      const { counts, total } = countAnswers(list.map((w) => [...w]));
      expect(tallies.get(galaxyId)).toEqual({ galaxyId, classificationCount: total, counts, voteFractions: cumulativeFractions(counts, total) });
    }

    // The readers built on it agree with it, galaxy by galaxy.
    const expected = (galaxyId: number) => tallies.get(galaxyId)!.voteFractions;
    const [exported, scoring, training] = await Promise.all([
      listVoteFractions(t.db, { source: "tallies" }),
      activeGalaxiesForScoring(t.db, { source: "tallies" }),
      listTrainingGalaxies(t.db, { source: "tallies" }),
    ]);
    expect(exported.map((g) => [g.galaxyId, g.source, g.externalId, g.voteFractions])).toEqual(
      [3, 700, 1100].map((i) => [ids[i], "tallies", String(i), expected(ids[i]!)]),
    );
    expect(scoring).toHaveLength(ids.length);
    for (const g of scoring) expect(g.voteFractions).toEqual(expected(g.id));
    expect(training.map((g) => [g.id, g.voteFractions])).toEqual([3, 700, 1100].map((i) => [ids[i], expected(ids[i]!)]));
    for (const galaxyId of walks.keys()) {
      const detail = (await getGalaxy(t.db, galaxyId))!;
      expect([detail.voteCounts, detail.voteFractions]).toEqual([tallies.get(galaxyId)!.counts, expected(galaxyId)]);
    }
    expect((await activeGalaxiesForScoring(t.db, { source: "tallies", take: 5 })).map((g) => g.id)).toEqual(ids.slice(0, 5));
  });
});

describe("image hashes", () => {
  it("are the SHA-256 of the image file, computed when a galaxy is stored or later once its file is there", async () => {
    mkdirSync(join(t.dataDir, "images", "hashes"), { recursive: true });
    const bytes = Buffer.from("the bytes of one image");
    writeFileSync(join(t.dataDir, "images", "hashes", "a.jpg"), bytes);
    const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
    const given = "f".repeat(64);
    await insertGalaxies(t.db, [
      { externalId: "a", source: "hashes", imagePath: "images/hashes/a.jpg" },
      { externalId: "b", source: "hashes", imagePath: "images/hashes/b.jpg" },
      // Absolute, as a catalogue outside the data directory leaves it.
      { externalId: "c", source: "hashes", imagePath: join(t.dataDir, "images", "hashes", "a.jpg") },
      { externalId: "d", source: "hashes", imagePath: "images/hashes/d.jpg", imageHash: given },
    ]);
    const hashes = async () =>
      (await t.db.galaxy.findMany({ where: { source: "hashes" }, orderBy: { externalId: "asc" } })).map((g) => g.imageHash);
    expect(await hashes()).toEqual([sha256(bytes), null, sha256(bytes), given]);

    writeFileSync(join(t.dataDir, "images", "hashes", "b.jpg"), "b");
    expect(await backfillImageHashes(t.db, t.dataDir)).toBe(1);
    expect(await hashes()).toEqual([sha256(bytes), sha256("b"), sha256(bytes), given]);
    expect(await backfillImageHashes(t.db, t.dataDir)).toBe(0);

    await expect(insertGalaxies(t.db, [{ externalId: "e", source: "hashes", imagePath: "e.jpg", imageHash: "ABC" }])).rejects.toThrow(
      /imageHash/,
    );
  });
});
