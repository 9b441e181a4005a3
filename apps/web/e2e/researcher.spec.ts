import { listJobs, listVoteFractions } from "@hiwl/db";
import { ANSWER_IDS, CLASS_LABELS, HIWL_CLASSES, kaggleColumn, selectClass } from "@hiwl/model";
import { expect, test, type Page } from "@playwright/test";
import { RESEARCHER, readmeScreenshot, testDb } from "./env.ts";
import { TEST_MODELS } from "./models.ts";
import { INACTIVE_DECISION, RECORDED_METRICS, UNSCORED_OLDEST, mapPoint, recordedPrediction } from "./researcher-data.ts";

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The active model's scores, matrix and curves as the trainer recorded them. */
async function expectModelDetail(page: Page) {
  const detail = page.getByTestId("model-detail");
  await expect(detail).toHaveAttribute("data-model-version", TEST_MODELS[0]!.version);

  const matrix = detail.getByTestId("confusion-matrix");
  await expect(matrix.locator("td")).toHaveCount(HIWL_CLASSES.length ** 2);
  const cells = await matrix
    .locator("td")
    .evaluateAll((tds) => tds.map((td) => [td.dataset.true!, td.dataset.predicted!, Number(td.textContent)] as const));
  const shown = HIWL_CLASSES.map((t) => HIWL_CLASSES.map((p) => cells.find(([ct, cp]) => ct === t && cp === p)![2]));
  expect(shown).toEqual(RECORDED_METRICS.confusion);
  // The diagonal is shaded by recall: a fully right row is darker than a half-right one.
  const shade = (cls: string) =>
    matrix.locator(`td[data-true="${cls}"][data-predicted="${cls}"]`).evaluate((td) => getComputedStyle(td).backgroundColor);
  expect(RECORDED_METRICS.perClass.round!.recall).toBeGreaterThan(RECORDED_METRICS.perClass.cigar!.recall);
  expect(await shade("round")).not.toBe(await shade("cigar"));

  for (const cls of HIWL_CLASSES) {
    const s = RECORDED_METRICS.perClass[cls]!;
    await expect(detail.locator(`[data-testid="class-scores"] tr[data-class="${cls}"] td`)).toHaveText([
      CLASS_LABELS[cls],
      percent(s.precision),
      percent(s.recall),
      percent(s.f1),
      String(s.support),
    ]);
  }
  const row = page.locator(`[data-model-version="${TEST_MODELS[0]!.version}"]`).first();
  await expect(row).toContainText(percent(RECORDED_METRICS.accuracy));
  await expect(row).toContainText(percent(RECORDED_METRICS.macroF1));

  for (const [level, epochs] of Object.entries(RECORDED_METRICS.curves)) {
    const curve = detail.locator(`[data-testid="learning-curve"][data-level="${level}"]`);
    // Four lines (loss and accuracy, training and validation), one dot per epoch on each.
    await expect(curve.locator("path.recharts-curve")).toHaveCount(4);
    await expect(curve.locator(".recharts-line-dots circle")).toHaveCount(4 * epochs.length);
    const table = await curve
      .locator("tbody tr")
      .evaluateAll((rows) =>
        rows.map((r) =>
          Object.fromEntries([...r.querySelectorAll<HTMLElement>("td[data-key]")].map((td) => [td.dataset.key, Number(td.textContent)])),
        ),
      );
    expect(table).toEqual(
      epochs.map((e) => ({
        trainLoss: Number(e.trainLoss.toFixed(4)),
        valLoss: Number(e.valLoss.toFixed(4)),
        trainAccuracy: Number(e.trainAccuracy.toFixed(4)),
        valAccuracy: Number(e.valAccuracy.toFixed(4)),
      })),
    );
  }
}

/** The active model's calibration: temperature and ECE, the reliability diagram's bins and the coverage curve, as recorded. */
async function expectCalibration(page: Page) {
  const { temperature, eceBefore, eceAfter, bins, coverage } = RECORDED_METRICS.calibration;
  const section = page.getByTestId("model-detail").getByTestId("calibration");
  await expect(section.getByTestId("calibration-summary")).toContainText(
    `Temperature ${temperature.toFixed(3)}, fitted on the validation galaxies: expected calibration error on the test galaxies ${percent(eceBefore)} before, ${percent(eceAfter)} after.`,
  );
  const rows = (figure: string) =>
    section
      .getByTestId(figure)
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => Object.fromEntries([...tr.querySelectorAll<HTMLElement>("td[data-key]")].map((td) => [td.dataset.key, td.textContent]))));
  const shown = (x: number, count: number) => (count > 0 ? percent(x) : "—");
  expect(await rows("reliability-diagram")).toEqual(
    bins.map((b) => ({ count: String(b.count), confidence: shown(b.confidence, b.count), accuracy: shown(b.accuracy, b.count) })),
  );
  // One bar per bin with galaxies in it, none for the empty ones.
  await expect(section.getByTestId("reliability-diagram").locator(".recharts-bar-rectangle path")).toHaveCount(bins.filter((b) => b.count > 0).length);
  expect(bins.filter((b) => b.count > 0)).toHaveLength(12);
  expect(await rows("coverage-curve")).toEqual(
    coverage.map((p) => ({ count: String(p.count), minConfidence: percent(p.minConfidence), accuracy: percent(p.accuracy) })),
  );
  await expect(section.getByTestId("coverage-curve").locator(".recharts-line-dots circle")).toHaveCount(coverage.length);
}

/** The active model's feature map: one point per scored galaxy where its coordinates put it, coloured either way. */
async function expectFeatureMap(page: Page): Promise<number> {
  const db = testDb();
  const [galaxies, votes] = await Promise.all([
    db.galaxy.findMany({ orderBy: { id: "desc" }, select: { id: true, imageHash: true } }),
    listVoteFractions(db),
  ]).finally(() => db.$disconnect());
  const scored = galaxies
    .slice(0, -UNSCORED_OLDEST)
    .map((g, k) => ({ id: g.id, imageHash: g.imageHash, ...mapPoint(k), predicted: recordedPrediction(k).predictedClass }));
  const consensus = new Map(votes.map((v) => [v.galaxyId, selectClass(v.voteFractions) ?? "none"]));

  const map = page.getByTestId("feature-map");
  const points = map.locator("circle[data-galaxy-id]");
  await expect(points).toHaveCount(scored.length);
  const drawn = async () =>
    new Map(
      (
        await points.evaluateAll((circles) =>
          circles.map((c) => ({
            id: Number(c.getAttribute("data-galaxy-id")),
            group: c.getAttribute("data-group"),
            cx: Number(c.getAttribute("cx")),
            cy: Number(c.getAttribute("cy")),
          })),
        )
      ).map((p) => [p.id, p]),
    );
  const byConsensus = await drawn();
  expect([...byConsensus.keys()].sort()).toEqual(scored.map((p) => p.id).sort());
  for (const p of scored) expect(byConsensus.get(p.id)!.group, `galaxy ${p.id}`).toBe(consensus.get(p.id) ?? "unknown");
  // Placed by the stored coordinates: further right for a larger x, higher up (smaller SVG y) for a larger y.
  for (const a of scored) {
    for (const b of scored) {
      if (a.x < b.x) expect(byConsensus.get(a.id)!.cx).toBeLessThan(byConsensus.get(b.id)!.cx);
      if (a.y < b.y) expect(byConsensus.get(a.id)!.cy).toBeGreaterThan(byConsensus.get(b.id)!.cy);
    }
  }

  await map.getByRole("button", { name: "Model prediction" }).click();
  await expect(map).toHaveAttribute("data-color-by", "predicted");
  const byPrediction = await drawn();
  for (const p of scored) expect(byPrediction.get(p.id)!.group, `galaxy ${p.id}`).toBe(p.predicted);

  const target = scored[0]!.id;
  await points.and(page.locator(`[data-galaxy-id="${target}"]`)).hover();
  const tooltip = page.getByTestId("feature-map-tooltip");
  await expect(tooltip).toHaveAttribute("data-galaxy-id", String(target));
  // Under the hash of the image's content (the GZ1 files are there: every galaxy has one).
  expect(scored[0]!.imageHash).toMatch(/^[0-9a-f]{64}$/);
  await expect(tooltip.locator("img")).toHaveAttribute("src", `/api/galaxies/${target}/image?v=${scored[0]!.imageHash}`);
  await expect(tooltip).toContainText(`Model: ${CLASS_LABELS[scored[0]!.predicted]}`);
  return target;
}

test("a researcher signs in, retrains and sees the queued job", async ({ page, context }) => {
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin$/);

  await page.getByLabel("Username").fill(RESEARCHER.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong username or password.")).toBeVisible();

  await page.getByLabel("Password").fill(RESEARCHER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  const session = (await context.cookies()).find((c) => c.name === "hiwl_session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });

  await page.getByRole("button", { name: "Retrain now" }).click();
  const status = page.getByRole("status");
  await expect(status).toHaveText(/Job #\d+ queued\./);
  const jobId = Number((await status.textContent())!.match(/#(\d+)/)![1]);
  await expect(page.locator(`[data-job-id="${jobId}"]`)).toContainText("queued");

  const db = testDb();
  try {
    const [job] = await listJobs(db, { status: "queued" });
    expect(job).toMatchObject({ id: jobId, status: "queued" });
    expect(job!.requestedById).toBeTruthy();
  } finally {
    await db.$disconnect();
  }

  // Researchers may export: the votes file has the Kaggle header and names each galaxy by its
  // catalogue identity (the GZ1 objid, then the source), never by the database's row id.
  const votes = await page.request.get("/api/export/votes.csv");
  expect(votes.status()).toBe(200);
  const [header, ...rows] = (await votes.text()).trimEnd().split("\n").map((line) => line.split(","));
  expect(header).toEqual(["GalaxyID", ...ANSWER_IDS.map(kaggleColumn), "source"]);
  const reader = testDb();
  const voted = await listVoteFractions(reader).finally(() => reader.$disconnect());
  expect(rows.map((r) => [r[0], r.at(-1)])).toEqual(voted.map((g) => [g.externalId, "gz1"]));

  await expect(page.getByTestId("classifications-chart").locator("svg path.recharts-curve")).toBeVisible();
  // Why the second version is not the one serving.
  await expect(page.locator(`[data-model-version="${TEST_MODELS[1]!.version}"] [data-testid="activation"]`)).toHaveText(
    `kept inactive: ${INACTIVE_DECISION.reason}`,
  );
  await expectModelDetail(page);
  await expectCalibration(page);
  const target = await expectFeatureMap(page);
  // Away from the chart in several moves: the chart handles pointer moves throttled, and a
  // single jump could leave its last handled position inside.
  await page.mouse.move(0, 0, { steps: 8 });
  await page.getByRole("heading", { level: 1 }).hover();
  await expect(page.getByTestId("feature-map-tooltip")).toHaveCount(0);
  // The site header is sticky: scrolled down, it would be drawn across the middle of the full-page shot.
  await page.evaluate(() => window.scrollTo(0, 0));
  await readmeScreenshot(page, "dashboard.png");

  // A point opens its galaxy.
  await page.getByTestId("feature-map").locator(`circle[data-galaxy-id="${target}"]`).click();
  await expect(page).toHaveURL(new RegExp(`/galaxies/${target}$`));

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Researcher sign-in" })).toBeVisible();
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin$/);
});
