/**
 * What names a galaxy outside the database, through a production server of its own (site.ts):
 * the exports name galaxies by their catalogue identity (a Kaggle import's own GalaxyID, the
 * source) and the predictions by their model version, and image URLs carry the hash of the
 * image's content, so a rebuilt database never shows a browser's cached image of another galaxy.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitImport, KAGGLE_SOURCE, readKaggleSolutions, seedSynthetic } from "@hiwl/catalog";
import {
  activateModelVersion,
  createModelVersion,
  createResearcher,
  ensureVolunteer,
  listVoteFractions,
  submitClassification,
  upsertPredictions,
  type Db,
} from "@hiwl/db";
import { ANSWER_IDS, countAnswers, cumulativeFractions, HIWL_CLASSES, kaggleColumn } from "@hiwl/model";
import { expect, test } from "@playwright/test";
import { GZ1_DIR } from "./env.ts";
import { inDb, RawClient, startSite, type Site } from "./site.ts";

const RESEARCHER = { username: "lintott", password: "galaxy-zoo-2007" };
const MODEL = "m-exports";
const KAGGLE_IDS = ["100008", "100023", "100053"];
const WALKS = {
  round: ["1.1", "7.1", "6.2"],
  spiral: ["1.2", "2.2", "3.2", "4.1", "10.2", "11.2", "5.2", "6.2"],
};

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
/** As the export writes a fraction: six decimals, trailing zeros dropped. */
const num = (v: number) => String(Number(v.toFixed(6)));
const rowsOf = (text: string) => text.trimEnd().split("\n").map((line) => line.split(","));

const scratch = mkdtempSync(join(tmpdir(), "hiwl-exports-"));

/** A Kaggle import (GZ1 images under Kaggle GalaxyIDs) and two synthetic galaxies, some with votes; a model scored some. */
async function seed(db: Db, dataDir: string, syntheticSeed: string): Promise<void> {
  const gz1 = readFileSync(join(GZ1_DIR, "labels.csv"), "utf8").trim().split("\n").slice(1, KAGGLE_IDS.length + 1).map((l) => l.split(",")[0]!);
  const images = mkdtempSync(join(scratch, "images-"));
  KAGGLE_IDS.forEach((id, i) => copyFileSync(join(GZ1_DIR, "images", `${gz1[i]}.jpg`), join(images, `${id}.jpg`)));
  const prior = cumulativeFractions(countAnswers([WALKS.spiral, WALKS.spiral, WALKS.round]).counts, 3);
  const solutions = join(images, "training_solutions_rev1.csv");
  writeFileSync(
    solutions,
    [["GalaxyID", ...ANSWER_IDS.map(kaggleColumn)], ...KAGGLE_IDS.map((id) => [id, ...prior.map((v) => v.toFixed(6))])].map((r) => r.join(",")).join("\n") + "\n",
  );
  await commitImport(db, KAGGLE_SOURCE, readKaggleSolutions({ solutions, images }), undefined, dataDir);
  await seedSynthetic(db, { count: 2, votes: 2, seed: syntheticSeed, crowd: 4 }, dataDir);

  const kaggle = await db.galaxy.findMany({ where: { source: KAGGLE_SOURCE }, orderBy: { id: "asc" } });
  // Platform votes on the first two Kaggle galaxies; the third has its catalogue's fractions only.
  for (const [i, g] of kaggle.slice(0, 2).entries()) {
    for (const [v, walk] of [WALKS.spiral, i === 0 ? WALKS.round : WALKS.spiral].entries()) {
      const volunteer = await ensureVolunteer(db, `exp-${v}`, { simulated: true });
      await submitClassification(
        db,
        { volunteerId: volunteer.id, galaxyId: g.id, answers: walk, startedAt: new Date(), finishedAt: new Date() },
        { requireHandout: false, rules: null },
      );
    }
  }
  await createResearcher(db, RESEARCHER.username, RESEARCHER.password);
  const version = await createModelVersion(db, { version: MODEL, path: join("models", MODEL), config: {}, metrics: {} });
  await activateModelVersion(db, version.id);
  const probabilities = { round: 0.1, "in-between": 0.05, cigar: 0.05, "edge-on": 0.1, spiral: 0.7 };
  const scored = await db.galaxy.findMany({ where: { OR: [{ source: KAGGLE_SOURCE, externalId: "100008" }, { source: "synthetic" }] } });
  await upsertPredictions(db, version.id, scored.map((g) => ({ galaxyId: g.id, probabilities, predictedClass: "spiral" as const })));
}

let site: Site;
let researcher: RawClient;

test.beforeAll(async () => {
  site = await startSite((db, dataDir) => seed(db, dataDir, "first"));
  researcher = new RawClient(site.url);
  expect((await researcher.mutate("auth.signIn", RESEARCHER)).status).toBe(200);
});

test.afterAll(async () => {
  await site?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test("votes.csv names each galaxy by its catalogue id and source; ?source=kaggle is a Kaggle solutions file", async () => {
  const votes = await inDb(site, (db) => listVoteFractions(db));
  const all = await researcher.send("/api/export/votes.csv");
  expect(all.status).toBe(200);
  expect(all.headers.get("content-disposition")).toBe('attachment; filename="votes.csv"');
  const [header, ...rows] = rowsOf(all.text);
  expect(header).toEqual(["GalaxyID", ...ANSWER_IDS.map(kaggleColumn), "source"]);
  // Galaxies with votes only, never the database's row ids: two Kaggle GalaxyIDs, two synthetic seeds.
  expect(rows.map((r) => [r[0], r.at(-1)])).toEqual([
    ["100008", "kaggle"],
    ["100023", "kaggle"],
    ["first-0", "synthetic"],
    ["first-1", "synthetic"],
  ]);
  for (const [i, row] of rows.entries()) expect(row.slice(1, -1)).toEqual(votes[i]!.voteFractions.map(num));
  // One spiral and one round vote on 100008: half of all volunteers answered smooth (Class1.1).
  expect(rows[0]![1 + ANSWER_IDS.indexOf("1.1")]).toBe("0.5");

  const kaggle = await researcher.send("/api/export/votes.csv?source=kaggle");
  expect(kaggle.status).toBe(200);
  const [kaggleHeader, ...kaggleRows] = rowsOf(kaggle.text);
  // Exactly training_solutions_rev1.csv's columns: GalaxyID and Class1.1 ... Class11.6.
  expect(kaggleHeader).toEqual(["GalaxyID", ...ANSWER_IDS.map(kaggleColumn)]);
  expect(kaggleHeader).toHaveLength(38);
  expect(kaggleRows).toEqual(rows.slice(0, 2).map((r) => r.slice(0, -1)));

  const unknown = await researcher.send("/api/export/votes.csv?source=sdss");
  expect(unknown.status).toBe(400);
  expect(unknown.json).toEqual({ error: { code: "BAD_REQUEST", message: 'no galaxies of source "sdss" (sources: kaggle, synthetic)' } });
});

test("predictions.csv names the model version, in a column and in the file name, and each galaxy by catalogue id", async () => {
  const predictions = await researcher.send("/api/export/predictions.csv");
  expect(predictions.status).toBe(200);
  expect(predictions.headers.get("content-disposition")).toBe(`attachment; filename="predictions-${MODEL}.csv"`);
  const [header, ...rows] = rowsOf(predictions.text);
  expect(header).toEqual(["GalaxyID", ...HIWL_CLASSES.map((c) => `p_${c.replace("-", "_")}`), "source", "model_version"]);
  const probabilities = ["0.1", "0.05", "0.05", "0.1", "0.7"];
  expect(rows).toEqual([
    ["100008", ...probabilities, "kaggle", MODEL],
    ["first-0", ...probabilities, "synthetic", MODEL],
    ["first-1", ...probabilities, "synthetic", MODEL],
  ]);
  const synthetic = await researcher.send("/api/export/predictions.csv?source=synthetic");
  expect(rowsOf(synthetic.text)).toEqual([header!.filter((c) => c !== "source"), ...rows.slice(1).map((r) => r.filter((c) => c !== "synthetic"))]);
});

test("image URLs carry the image's content hash, and only that URL may be kept by the browser", async () => {
  const volunteer = new RawClient(site.url);
  const page = await volunteer.query("galaxy.list", { sort: "newest" });
  const galaxies = page.json.result.galaxies as { id: number; imageHash: string }[];
  expect(galaxies).toHaveLength(KAGGLE_IDS.length + 2);
  const { id, imageHash } = galaxies[0]!;

  const image = await fetch(`${site.url}/api/galaxies/${id}/image?v=${imageHash}`);
  expect(image.status).toBe(200);
  expect(sha256(new Uint8Array(await image.arrayBuffer()))).toBe(imageHash);
  expect(image.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  expect(image.headers.get("etag")).toBe(`"${imageHash}"`);
  // Any other URL of the same galaxy's image: the browser must ask again, which costs a 304.
  for (const url of [`/api/galaxies/${id}/image`, `/api/galaxies/${id}/image?v=${"0".repeat(64)}`]) {
    const other = await fetch(`${site.url}${url}`);
    expect([other.status, other.headers.get("cache-control")]).toEqual([200, "no-cache"]);
  }
  const revalidated = await fetch(`${site.url}/api/galaxies/${id}/image`, { headers: { "if-none-match": `"${imageHash}"` } });
  expect(revalidated.status).toBe(304);

  // The page shows the image under that URL (the galaxy is still active: its image is all it shows).
  const html = (await volunteer.send(`/galaxies/${id}`)).text;
  expect(html).toContain(`src="/api/galaxies/${id}/image?v=${imageHash}"`);

  // The database rebuilt from another synthetic sky: the same row id now names another galaxy,
  // whose image has another URL, and the old URL is no longer one a browser may keep.
  const rebuilt = await startSite((db, dataDir) => seed(db, dataDir, "second"));
  try {
    const again = (await new RawClient(rebuilt.url).query("galaxy.list", { sort: "newest" })).json.result.galaxies as { id: number; imageHash: string }[];
    const same = again.find((g) => g.id === id)!;
    expect(same.imageHash).not.toBe(imageHash);
    const old = await fetch(`${rebuilt.url}/api/galaxies/${id}/image?v=${imageHash}`);
    expect(old.headers.get("cache-control")).toBe("no-cache");
    expect(sha256(new Uint8Array(await old.arrayBuffer()))).toBe(same.imageHash);
  } finally {
    await rebuilt.stop();
  }
});
