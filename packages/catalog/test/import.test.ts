import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { galaxyCounts, insertGalaxies, listGalaxies, priorFractionsOf } from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";
import { ANSWER_IDS, countAnswers, cumulativeFractions, kaggleColumn } from "@hiwl/model";
import { ImportError, importFolderCatalog, importGoldStandards, importKaggle, parseLabelMap } from "../src/index.ts";

const GZ1 = join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/data/gz1");
const gz1Ids = readdirSync(join(GZ1, "images"))
  .filter((f) => f.endsWith(".jpg"))
  .slice(0, 8)
  .map((f) => f.replace(/\.jpg$/, ""));

const t = useTestDb();
const scratch = mkdtempSync(join(tmpdir(), "hiwl-import-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder of real galaxy JPEGs named by made-up Kaggle GalaxyIDs. */
function kaggleImages(ids: string[]): string {
  const dir = mkdtempSync(join(scratch, "kaggle-"));
  ids.forEach((id, i) => copyFileSync(join(GZ1, "images", `${gz1Ids[i]}.jpg`), join(dir, `${id}.jpg`)));
  return dir;
}

function fractionsOf(...walks: string[][]): number[] {
  const { counts, total } = countAnswers(walks);
  return cumulativeFractions(counts, total);
}

const SPIRAL = ["1.2", "2.2", "3.2", "4.1", "10.1", "11.2", "5.2", "6.2"];
const EDGE_ON = ["1.2", "2.1", "9.1", "6.2"];
const ROUND = ["1.1", "7.1", "6.2"];

function kaggleCsv(rows: Array<[string, number[]]>, header = ["GalaxyID", ...ANSWER_IDS.map(kaggleColumn)]): string {
  const file = join(mkdtempSync(join(scratch, "csv-")), "training_solutions_rev1.csv");
  const lines = [header.join(","), ...rows.map(([id, values]) => [id, ...values.map((v) => v.toFixed(6))].join(","))];
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

describe("hiwl import kaggle", () => {
  it("imports the vote fractions as prior votes, labels by the HIWL rules, and adds nothing twice", async () => {
    const rows: Array<[string, number[]]> = [
      ["100001", fractionsOf(SPIRAL, SPIRAL, SPIRAL, ROUND)],
      ["100002", fractionsOf(EDGE_ON, EDGE_ON, EDGE_ON)],
      ["100003", fractionsOf(ROUND, ROUND, SPIRAL)],
      ["100004", fractionsOf(ROUND, EDGE_ON)],
    ];
    const options = { solutions: kaggleCsv(rows), images: kaggleImages(rows.map(([id]) => id)) };
    expect(await importKaggle(t.db, options)).toEqual({ source: "kaggle", added: 4, skipped: 0 });
    const { galaxies } = await listGalaxies(t.db, { source: "kaggle" });
    const byId = new Map(galaxies.map((g) => [g.externalId, g]));
    expect(byId.get("100001")!.catalogLabel).toBe("spiral");
    expect(byId.get("100002")!.catalogLabel).toBe("edge-on");
    expect(byId.get("100003")!.catalogLabel).toBe("round");
    expect(byId.get("100004")!.catalogLabel).toBeNull();
    const prior = priorFractionsOf(byId.get("100001")!)!;
    expect(prior[ANSWER_IDS.indexOf("4.1")]).toBeCloseTo(0.75, 6);
    const stored = join(t.dataDir, byId.get("100002")!.imagePath);
    expect(existsSync(stored)).toBe(true);
    // The hash of the file the site serves, for its image URL.
    expect(byId.get("100002")!.imageHash).toBe(createHash("sha256").update(readFileSync(stored)).digest("hex"));

    expect(await importKaggle(t.db, options)).toEqual({ source: "kaggle", added: 0, skipped: 4 });
    expect((await galaxyCounts(t.db)).total).toBe(4);
  });

  it("reports every bad row with its line number and writes nothing", async () => {
    const before = await galaxyCounts(t.db);
    const good = fractionsOf(SPIRAL);
    const outOfRange = [...good];
    outOfRange[0] = 1.5;
    const inconsistent = [...good];
    inconsistent[ANSWER_IDS.indexOf("2.2")] = 0.2; // Q2 no longer sums to Class1.2
    const csv = kaggleCsv([
      ["200001", good],
      ["200002", outOfRange],
      ["200003", inconsistent],
      ["20000x", good],
      ["200001", good],
    ]);
    const images = kaggleImages(["200001", "200002", "200003"]);
    const error = await importKaggle(t.db, { solutions: csv, images }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    const problems = (error as ImportError).problems;
    expect(problems).toContain("line 3 (GalaxyID 200002): Class1.1 = 1.5 is not a number in [0, 1]");
    expect(problems.some((p) => p.startsWith("line 4 (GalaxyID 200003): question 2 sums to"))).toBe(true);
    expect(problems).toContain('line 5: GalaxyID "20000x" is not a positive integer');
    expect(problems).toContain("line 6: GalaxyID 200001 already appears on line 2");
    expect(await galaxyCounts(t.db)).toEqual(before);
  });

  it("rejects a header without the 37 columns", async () => {
    const header = ["GalaxyID", ...ANSWER_IDS.map(kaggleColumn).filter((c) => c !== "Class7.3")];
    const csv = kaggleCsv([], header);
    await expect(importKaggle(t.db, { solutions: csv, images: scratch })).rejects.toThrow(/line 1: missing column\(s\) Class7.3/);
  });

  it("names missing and corrupt images, and leaves no galaxy and no file behind", async () => {
    const before = await galaxyCounts(t.db);
    const images = kaggleImages(["300001", "300002"]);
    writeFileSync(join(images, "300003.jpg"), "this is not a JPEG");
    const rows: Array<[string, number[]]> = [
      ["300001", fractionsOf(SPIRAL)],
      ["300002", fractionsOf(ROUND)],
      ["300003", fractionsOf(EDGE_ON)],
    ];
    const corrupt = await importKaggle(t.db, { solutions: kaggleCsv(rows), images }).catch((e: unknown) => e);
    expect(corrupt).toBeInstanceOf(ImportError);
    expect((corrupt as ImportError).problems).toEqual([expect.stringContaining(join(images, "300003.jpg"))]);
    expect(await galaxyCounts(t.db)).toEqual(before);
    expect(existsSync(join(t.dataDir, "images/kaggle/300001.jpg"))).toBe(false);

    const missing = kaggleCsv([["300004", fractionsOf(ROUND)]]);
    await expect(importKaggle(t.db, { solutions: missing, images })).rejects.toThrow(/line 2: image .*300004\.jpg not found/);
  });
});

describe("hiwl import catalog", () => {
  const labels = (rows: string[][]) => {
    const file = join(mkdtempSync(join(scratch, "gz1-")), "labels.csv");
    writeFileSync(file, ["objid,gz1_class,label", ...rows.map((r) => r.join(","))].join("\n"));
    return file;
  };
  const map = parseLabelMap(["elliptical=smooth,spiral_clockwise=spiral", "edge_on=edge-on"]);

  it("imports real Galaxy Zoo 1 images with mapped labels; unmapped labels stay unlabelled", async () => {
    const file = labels([
      [gz1Ids[0]!, "0", "elliptical"],
      [gz1Ids[1]!, "1", "spiral_clockwise"],
      [gz1Ids[2]!, "3", "edge_on"],
      [gz1Ids[3]!, "4", "dont_know"],
    ]);
    const options = { images: join(GZ1, "images"), labels: file, idColumn: "objid", labelColumn: "label", map, source: "gz1" };
    expect(await importFolderCatalog(t.db, options)).toEqual({ source: "gz1", added: 4, skipped: 0 });
    const { galaxies } = await listGalaxies(t.db, { source: "gz1" });
    expect(Object.fromEntries(galaxies.map((g) => [g.externalId, g.catalogLabel]))).toEqual({
      [gz1Ids[0]!]: "smooth",
      [gz1Ids[1]!]: "spiral",
      [gz1Ids[2]!]: "edge-on",
      [gz1Ids[3]!]: null,
    });
    expect(await importFolderCatalog(t.db, options)).toMatchObject({ added: 0, skipped: 4 });
  });

  it("names the missing image's line and a bad mapping, importing nothing", async () => {
    const before = await galaxyCounts(t.db);
    const file = labels([
      [gz1Ids[4]!, "0", "elliptical"],
      ["587000000000000000", "0", "elliptical"],
    ]);
    const options = { images: join(GZ1, "images"), labels: file, idColumn: "objid", labelColumn: "label", source: "gz1-bad" };
    await expect(importFolderCatalog(t.db, { ...options, map })).rejects.toThrow(/line 3: no image 587000000000000000\.jpg/);
    await expect(importFolderCatalog(t.db, { ...options, map: { elliptical: "blob" } })).rejects.toThrow(
      /--map elliptical=blob: "blob" is not one of/,
    );
    await expect(importFolderCatalog(t.db, { ...options, map, idColumn: "id" })).rejects.toThrow(
      /no column "id" \(columns: objid, gz1_class, label\)/,
    );
    expect(await galaxyCounts(t.db)).toEqual(before);
    expect(() => parseLabelMap(["elliptical"])).toThrow(/expected CATALOG_LABEL=PROJECT_LABEL/);
  });
});

describe("hiwl gold import", () => {
  it("marks catalogue galaxies gold from expert walks, or names every bad line and marks none", async () => {
    await insertGalaxies(t.db, ["g1", "g2", "g3"].map((id) => ({ externalId: id, source: "experts", imagePath: `images/${id}.jpg` })));
    const csv = (lines: string[]) => {
      const file = join(mkdtempSync(join(scratch, "gold-")), "experts.csv");
      writeFileSync(file, lines.join("\n"));
      return file;
    };
    const bad = csv([
      "source,externalId,answers",
      `experts,g1,${SPIRAL.join(" ")}`,
      "experts,g2,1.2 2.1",
      "experts,g3,1.1 7.9 6.2",
      "experts,nope,1.3",
      `experts,g1,${ROUND.join(" ")}`,
    ]);
    const error = await importGoldStandards(t.db, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).problems).toEqual([
      "line 3: answers: the classification stops before question 9 is answered",
      'line 4: answers: "7.9" is not an answer of the tree',
      'line 5: no galaxy nope of source "experts" in the catalogue (import the galaxies first)',
      "line 6: galaxy experts/g1 already appears on line 2",
    ]);
    expect(await t.db.goldStandard.count()).toBe(0);
    await expect(importGoldStandards(t.db, csv(["source,id,answers"]))).rejects.toThrow(/line 1: missing column\(s\) externalId/);

    expect(await importGoldStandards(t.db, csv(["source,externalId,answers", `experts,g1,${SPIRAL.join(" ")}`, `experts,g3,${ROUND.join(" ")}`]))).toBe(2);
    const gold = await t.db.goldStandard.findMany({ include: { galaxy: { select: { externalId: true } } }, orderBy: { galaxyId: "asc" } });
    expect(gold.map((g) => [g.galaxy.externalId, g.answers, g.origin])).toEqual([
      ["g1", SPIRAL, "import:experts.csv"],
      ["g3", ROUND, "import:experts.csv"],
    ]);
  });
});
