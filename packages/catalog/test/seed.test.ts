import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkTallies, galaxyCounts, getGalaxy, listGalaxies, syntheticTruthOf } from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { selectClass } from "@hiwl/model";
import { seedDefault, seedSynthetic } from "../src/index.ts";
import { generateGalaxy } from "../src/synthetic/index.ts";

const t = useTestDb();

describe("hiwl seed synthetic", () => {
  it("stores rendered galaxies with their truth and simulated votes through the submission path", async () => {
    const result = await seedSynthetic(t.db, { count: 12, votes: 15, seed: "t", crowd: 40 }, t.dataDir);
    expect(result).toEqual({ added: 12, skipped: 0, classifications: 12 * 15 });
    const { galaxies } = await listGalaxies(t.db, { source: "synthetic" });
    expect(galaxies).toHaveLength(12);
    expect(await checkTallies(t.db)).toEqual([]);

    let agree = 0;
    let labelled = 0;
    for (const g of galaxies) {
      expect(existsSync(join(t.dataDir, g.imagePath))).toBe(true);
      expect(g.classificationCount).toBe(15);
      // The truth it was rendered from, read back through the stored contract.
      expect(syntheticTruthOf(g)).toEqual(generateGalaxy(g.externalId).truth);
      const detail = (await getGalaxy(t.db, g.id))!;
      const crowd = selectClass(detail.voteFractions);
      if (g.catalogLabel && crowd) {
        labelled++;
        if (crowd === g.catalogLabel) agree++;
      }
    }
    // Simulated volunteers follow the truth: where the crowd passes a selection rule, it agrees
    // with the class the truth represents nearly always.
    expect(labelled).toBeGreaterThan(0);
    expect(agree / labelled).toBeGreaterThanOrEqual(0.8);
  });

  it("adds nothing when run again with the same seed, and the default seeds only an empty database", async () => {
    expect(await seedSynthetic(t.db, { count: 12, votes: 15, seed: "t", crowd: 40 }, t.dataDir)).toEqual({
      added: 0,
      skipped: 12,
      classifications: 0,
    });
    expect(await seedDefault(t.db)).toBeNull();
    expect((await galaxyCounts(t.db)).total).toBe(12);
  });

  it("rejects impossible options", async () => {
    await expect(seedSynthetic(t.db, { count: 0 })).rejects.toThrow(/--count must be a positive integer/);
    await expect(seedSynthetic(t.db, { count: 1, votes: 50, crowd: 10 })).rejects.toThrow(/exceeds the simulated crowd/);
  });
});
