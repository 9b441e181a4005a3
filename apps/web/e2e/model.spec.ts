import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { buildCutoutCache, loadCutouts } from "@hiwl/catalog";
import { activateModelVersion, getGalaxy, listGalaxies } from "@hiwl/db";
import { CLASS_LABELS, confidenceWords, HIWL_CLASSES, type HiwlClass, LEVEL_CLASSES, type Level, measuredAccuracy } from "@hiwl/model";
import { cutoutSide, toCutout } from "@hiwl/model/network";
import { expect, test, type Page } from "@playwright/test";
import { dataDir, repoRoot, signInAsResearcher, testDb } from "./env.ts";
import { TEST_MODELS, expectedCam, expectedProbabilities, loadTestModel, modelDir, type Pixels } from "./models.ts";
import { RECORDED_METRICS } from "./researcher-data.ts";

const [HIERARCHICAL, FLAT] = TEST_MODELS.map((m) => m.version) as [string, string];

async function activate(version: string) {
  const db = testDb();
  try {
    const model = await db.modelVersion.findUniqueOrThrow({ where: { version } });
    await activateModelVersion(db, model.id);
  } finally {
    await db.$disconnect();
  }
}

/** The trainer's CLI on the test database; its standard output. */
async function hiwl(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, "apps/trainer/bin/hiwl.mjs"), ...args], {
    env: { ...process.env, HIWL_DATA_DIR: dataDir() },
  });
  return stdout;
}

// Other spec files expect the first model to be the active one.
test.beforeEach(() => activate(HIERARCHICAL));
test.afterEach(() => activate(HIERARCHICAL));

/** A galaxy image as this browser decodes it (RGB bytes), read apart from the page's own code. */
function decodeInBrowser(page: Page, galaxyId: number): Promise<Pixels> {
  return page
    .evaluate(async (url) => {
      const blob = await (await fetch(url)).blob();
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext("2d")!;
      context.drawImage(bitmap, 0, 0);
      const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const rgb = rgba.filter((_, i) => i % 4 !== 3);
      return { width: bitmap.width, height: bitmap.height, rgb: Array.from(rgb) };
    }, `/api/galaxies/${galaxyId}/image`)
    .then((p) => ({ ...p, rgb: Uint8Array.from(p.rgb) }));
}

/** The cutout the trainer caches for a galaxy (sharp's decode), for comparison with the page's. */
async function trainerCutout(galaxyId: number, side: number): Promise<Uint8Array> {
  const db = testDb();
  const scratch = await mkdtemp(join(tmpdir(), "hiwl-e2e-cutout-"));
  try {
    const { imagePath } = (await getGalaxy(db, galaxyId))!;
    await buildCutoutCache([{ id: galaxyId, imagePath: isAbsolute(imagePath) ? imagePath : join(dataDir(), imagePath) }], side, undefined, scratch);
    return await loadCutouts([galaxyId], side, scratch);
  } finally {
    await db.$disconnect();
    await rm(scratch, { recursive: true, force: true });
  }
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!), `value ${i}: ${v} vs ${expected[i]}`).toBeLessThan(tolerance));
}

test("the classify page shows the browser's prediction, equal to the model's in Node, and picks up a new model without a reload", async ({ page }) => {
  const models = { [HIERARCHICAL]: await loadTestModel(dataDir(), HIERARCHICAL), [FLAT]: await loadTestModel(dataDir(), FLAT) };
  await page.goto("/classify");
  const classifier = page.getByTestId("classifier");
  const card = page.getByTestId("model-prediction");

  async function classifyAndCheck(version: string) {
    const galaxyId = Number(await classifier.getAttribute("data-galaxy-id"));
    // Ready before the volunteer answers, but not shown: it must not sway the answer.
    await expect(card).toContainText("Answer the questions to see what the model thinks.");
    await expect(card).not.toHaveAttribute("data-probabilities");
    await page.getByRole("button", { name: "Star or artifact", exact: true }).click();

    await expect(card).toHaveAttribute("data-model-version", version);
    await expect(card).toHaveAttribute("data-backend", "wasm");
    const shown = JSON.parse((await card.getAttribute("data-probabilities"))!) as number[];
    expect(shown).toHaveLength(HIWL_CLASSES.length);
    expect(shown.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const pixels = await decodeInBrowser(page, galaxyId);
    expectClose(shown, expectedProbabilities(models[version]!, pixels), 1e-3);
    // The network sees the same bytes here as when the trainer trained on and scored this galaxy.
    const side = cutoutSide(models[version]!.metadata.inputSize);
    expect(toCutout({ ...pixels, channels: 3, data: pixels.rgb }, side)).toEqual(await trainerCutout(galaxyId, side));
    await expect(card.locator("li[data-id]")).toHaveCount(HIWL_CLASSES.length);

    // How sure, in words, and what that confidence meant on the version's test galaxies: the
    // active (hierarchical) version has a reliability diagram, the flat one none.
    const confidence = Math.max(...shown);
    const howSure = card.getByTestId("how-sure");
    const percent = (x: number) => `${Math.round(100 * x)}%`;
    await expect(howSure).toContainText(
      `The model says ${CLASS_LABELS[HIWL_CLASSES[shown.indexOf(confidence)]!]}: ${confidenceWords(confidence)} (${percent(confidence)} sure).`,
    );
    const measured = version === HIERARCHICAL ? measuredAccuracy(confidence, RECORDED_METRICS.calibration.bins) : null;
    expect(measured === null).toBe(version !== HIERARCHICAL);
    if (measured) {
      await expect(howSure).toContainText(
        `Of the ${measured.galaxies} test galaxies it was ${percent(measured.lower)}–${percent(measured.upper)} sure about, it got ${percent(measured.accuracy)} right.`,
      );
    } else {
      await expect(howSure).not.toContainText("test galaxies");
    }
    return galaxyId;
  }

  const first = await classifyAndCheck(HIERARCHICAL);
  await page.evaluate(() => Object.assign(window, { hiwlSamePage: true }));

  await activate(FLAT);
  await page.getByRole("button", { name: "Next galaxy" }).click();
  await expect(classifier).not.toHaveAttribute("data-galaxy-id", String(first));
  await classifyAndCheck(FLAT);
  expect(await page.evaluate(() => "hiwlSamePage" in window), "the page was not reloaded").toBe(true);
});

test("one galaxy shows the same predicted class on the classify page, the gallery, the galaxy page and in hiwl predict", async ({
  page,
  browser,
  baseURL,
}) => {
  await activate(FLAT);
  // The version's predictions as the trainer stores them: `hiwl predict` over the database.
  const stored = await hiwl(["predict", "--model", FLAT, "--feature-map", "0"]);
  expect(stored).toMatch(/\d+ predictions stored for model version e2e-flat/);

  // The galaxy whose two likeliest classes are furthest apart: no near tie that rounding
  // between backends could flip (the test model's weights are random).
  const db = testDb();
  const rows = await db.prediction
    .findMany({ where: { modelVersion: { version: FLAT }, galaxy: { retiredAt: null } }, include: { galaxy: true } })
    .finally(() => db.$disconnect());
  const margin = (p: (typeof rows)[number]) => {
    const [a, b] = [p.pRound, p.pInBetween, p.pCigar, p.pEdgeOn, p.pSpiral].sort((x, y) => y - x);
    return a! - b!;
  };
  const target = rows.reduce((best, p) => (margin(p) > margin(best) ? p : best));
  expect(margin(target)).toBeGreaterThan(1e-3);
  const galaxyId = target.galaxyId;

  // The volunteer's browser, classifying what it is handed until it gets that galaxy; then the model's guess.
  await page.goto("/classify");
  const classifier = page.getByTestId("classifier");
  const card = page.getByTestId("model-prediction");
  for (let handed = 0; ; handed++) {
    expect(handed, "the galaxy was handed out").toBeLessThan(rows.length);
    await expect(classifier).toBeVisible();
    const id = Number(await classifier.getAttribute("data-galaxy-id"));
    await page.getByRole("button", { name: "Star or artifact", exact: true }).click();
    if (id === galaxyId) break;
    await page.getByRole("button", { name: "Next galaxy" }).click();
    await expect(classifier).not.toHaveAttribute("data-galaxy-id", String(id));
  }
  await expect(card).toHaveAttribute("data-model-version", FLAT);
  const shown = JSON.parse((await card.getAttribute("data-probabilities"))!) as number[];
  const browserClass = HIWL_CLASSES[shown.indexOf(Math.max(...shown))]!;
  await expect(card).toContainText(`The model says ${CLASS_LABELS[browserClass]}:`);
  expect(target.predictedClass).toBe(browserClass);
  const galaxy = target.galaxy;

  // `hiwl predict` on the image file itself.
  const folder = await mkdtemp(join(tmpdir(), "hiwl-e2e-predict-"));
  try {
    await copyFile(galaxy.imagePath, join(folder, "g.jpg"));
    await hiwl(["predict", "--images", folder, "--out", join(folder, "out.csv"), "--model", modelDir(dataDir(), FLAT)]);
    const [header, row] = (await readFile(join(folder, "out.csv"), "utf8")).trim().split("\n");
    const values = row!.split(",").slice(1).map(Number);
    expect(header!.split(",").slice(1)).toEqual(HIWL_CLASSES.map((c) => `p_${c.replace("-", "_")}`));
    expect(HIWL_CLASSES[values.indexOf(Math.max(...values))]).toBe(browserClass);
    values.forEach((v, i) => expect(Math.abs(v - shown[i]!)).toBeLessThan(1e-3));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }

  // A researcher's gallery and galaxy page (a volunteer sees neither before the galaxy retires).
  const context = await browser.newContext();
  await signInAsResearcher(context, baseURL!);
  const researcher = await context.newPage();
  try {
    await researcher.goto("/gallery");
    await expect(researcher.locator(`li[data-galaxy-id="${galaxyId}"]`)).toHaveAttribute("data-predicted", browserClass);
    await researcher.goto(`/galaxies/${galaxyId}`);
    await expect(researcher.getByText(/Model version #\d+ says/)).toContainText(CLASS_LABELS[browserClass]);
  } finally {
    await context.close();
  }
});

test("the galaxy page shows Grad-CAM for the predicted class and for a class the researcher picks", async ({ page }) => {
  const model = await loadTestModel(dataDir(), HIERARCHICAL);
  const db = testDb();
  const galaxyId = await listGalaxies(db, { pageSize: 1 })
    .then((r) => r.galaxies[0]!.id)
    .finally(() => db.$disconnect());
  await page.goto(`/galaxies/${galaxyId}`);
  const heatmap = page.getByTestId("heatmap");
  const select = page.getByRole("combobox", { name: "Class to explain" });
  const pixels = await decodeInBrowser(page, galaxyId);
  const probabilities = expectedProbabilities(model, pixels);
  const predicted = HIWL_CLASSES[probabilities.indexOf(Math.max(...probabilities))]!;

  async function expectCam(cls: HiwlClass, level: Level) {
    await expect(heatmap).toHaveAttribute("data-class", cls);
    await expect(heatmap).toHaveAttribute("data-level", level);
    const cam = JSON.parse((await heatmap.getAttribute("data-cam"))!) as number[];
    expectClose(cam, expectedCam(model, pixels, level, LEVEL_CLASSES[level].indexOf(cls)), 1e-3);
    return cam;
  }

  await expect(select).toHaveValue(predicted);
  const cam = await expectCam(predicted, predicted === "cigar" || predicted === "edge-on" ? "level2" : "level1");
  expect(Math.max(...cam)).toBeCloseTo(1, 5);
  expect(Math.min(...cam)).toBeLessThan(1);
  const drawn = await heatmap.evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    const alphas = new Set<number>();
    for (let i = 3; i < data.length; i += 4) alphas.add(data[i]!);
    return { width: canvas.width, alphas: alphas.size, maxAlpha: Math.max(...alphas) };
  });
  expect(drawn.width).toBe(256);
  expect(drawn.maxAlpha, "the heatmap is not empty").toBeGreaterThan(100);
  expect(drawn.alphas, "the heatmap varies across the image").toBeGreaterThan(20);

  // Cigar and edge-on are explained by level 2, which tells them apart; the others by level 1.
  const other = (["edge-on", "round"] as const).find((c) => c !== predicted)!;
  await select.selectOption(other);
  await expectCam(other, other === "edge-on" ? "level2" : "level1");
});

test("model files are served from the version's directory only, with long caching", async ({ request }) => {
  const [version] = TEST_MODELS;
  const metadata = await request.get(`/api/models/${version!.version}/metadata.json`);
  expect(metadata.status()).toBe(200);
  expect(metadata.headers()["content-type"]).toBe("application/json");
  expect(metadata.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(await metadata.text()).toBe(await readFile(join(modelDir(dataDir(), version!.version), "metadata.json"), "utf8"));

  // The second version's path is stored relative to the data directory.
  const weights = await request.get(`/api/models/${FLAT}/flat/weights.bin`);
  expect(weights.status()).toBe(200);
  expect(weights.headers()["content-type"]).toBe("application/octet-stream");
  expect((await weights.body()).length).toBe((await stat(join(modelDir(dataDir(), FLAT), "flat", "weights.bin"))).size);

  for (const path of [
    `${FLAT}/..%2F${HIERARCHICAL}%2Fmetadata.json`,
    `${FLAT}/%2E%2E/%2E%2E/hiwl.db`,
    `${FLAT}/flat`,
    `${FLAT}/missing.json`,
    `no-such-version/metadata.json`,
  ]) {
    expect((await request.get(`/api/models/${path}`)).status(), path).toBe(404);
  }
});
