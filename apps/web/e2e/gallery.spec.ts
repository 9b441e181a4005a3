import { HIWL_CLASSES, selectClass } from "@hiwl/model";
import { listVoteFractions, type Prediction } from "@hiwl/db";
import { expect, test, type Page } from "@playwright/test";
import { signInAsResearcher, testDb } from "./env.ts";

/** Entropy of the five stored probabilities over ln 5, worked out here rather than read from the row. */
const uncertainty = (p: Prediction) =>
  -[p.pRound, p.pInBetween, p.pCigar, p.pEdgeOn, p.pSpiral].reduce((s, x) => (x > 0 ? s + x * Math.log(x) : s), 0) / Math.log(5);

async function recorded() {
  const db = testDb();
  try {
    const active = await db.modelVersion.findFirstOrThrow({ where: { active: true } });
    const [galaxies, predictions, votes] = await Promise.all([
      db.galaxy.findMany({ orderBy: { id: "desc" }, select: { id: true, retiredAt: true } }),
      db.prediction.findMany({ where: { modelVersionId: active.id } }),
      listVoteFractions(db),
    ]);
    return {
      galaxies: galaxies.map((g) => g.id),
      retired: new Set(galaxies.filter((g) => g.retiredAt !== null).map((g) => g.id)),
      predictions: new Map(predictions.map((p) => [p.galaxyId, p])),
      consensus: new Map(votes.map((v) => [v.galaxyId, selectClass(v.voteFractions) ?? "none"])),
    };
  } finally {
    await db.$disconnect();
  }
}

const shownIds = (page: Page) =>
  page.locator("li[data-galaxy-id]").evaluateAll((items) => items.map((li) => Number(li.getAttribute("data-galaxy-id"))));

async function expectShown(page: Page, ids: readonly number[]) {
  await expect(page.getByText(`${ids.length} galaxies`, { exact: true })).toBeVisible();
  await expect(page.locator("li[data-galaxy-id]")).toHaveCount(ids.length);
  expect(await shownIds(page)).toEqual(ids);
}

test("for researchers, the gallery filters by the active model's predicted class and uncertainty, by consensus, and sorts by uncertainty", async ({
  page,
  context,
  baseURL,
}) => {
  await signInAsResearcher(context, baseURL!);
  const { galaxies, predictions, consensus } = await recorded();
  // Newest first, as the gallery lists them.
  const where = (keep: (id: number) => boolean) => galaxies.filter(keep);
  const spiral = where((id) => predictions.get(id)?.predictedClass === "spiral");
  expect(spiral.length).toBeGreaterThan(1);
  expect(spiral.length).toBeLessThan(predictions.size);

  await page.goto("/gallery");
  await expectShown(page, galaxies);
  await page.getByRole("link", { name: "Predicted spiral" }).click();
  await expect(page).toHaveURL(/\/gallery\?predicted=spiral$/);
  await expectShown(page, spiral);
  await expect(page.locator("li[data-galaxy-id]").first()).toContainText("Model: Spiral");

  // Every class: the filter returns exactly the galaxies the active model put in it.
  for (const cls of HIWL_CLASSES) {
    await page.goto(`/gallery?predicted=${cls}`);
    await expectShown(page, where((id) => predictions.get(id)?.predictedClass === cls));
  }

  await page.goto("/gallery");
  await page.getByRole("link", { name: "Uncertain (0.5 and above)" }).click();
  const uncertain = where((id) => predictions.has(id) && uncertainty(predictions.get(id)!) >= 0.5);
  expect(uncertain.length).toBeGreaterThan(0);
  await expectShown(page, uncertain);
  await page.getByRole("link", { name: "Confident (below 0.25)" }).click();
  await expectShown(page, where((id) => predictions.has(id) && uncertainty(predictions.get(id)!) < 0.25));

  // Both filters at once, for a pair that some galaxy has.
  const both = galaxies.find((id) => consensus.has(id) && predictions.has(id))!;
  const [agreed, predicted] = [consensus.get(both)!, predictions.get(both)!.predictedClass];
  await page.goto(`/gallery?consensus=${agreed}&predicted=${predicted}`);
  await expectShown(page, where((id) => consensus.get(id) === agreed && predictions.get(id)?.predictedClass === predicted));

  // Most uncertain first; galaxies the model has not scored last, newest first among them.
  await page.goto("/gallery");
  await page.getByRole("link", { name: "Most uncertain first" }).click();
  await expect(page).toHaveURL(/sort=most-uncertain/);
  await expect(page.locator("li[data-galaxy-id]")).toHaveCount(galaxies.length);
  const order = await shownIds(page);
  expect([...order].sort()).toEqual([...galaxies].sort());
  const scoredOrder = order.slice(0, predictions.size);
  expect(scoredOrder.every((id) => predictions.has(id))).toBe(true);
  expect(order.slice(predictions.size)).toEqual(where((id) => !predictions.has(id)));
  const values = scoredOrder.map((id) => uncertainty(predictions.get(id)!));
  values.slice(1).forEach((v, i) => expect(v, `position ${i + 1}`).toBeLessThanOrEqual(values[i]! + 1e-9));
  expect(values[0]).toBeGreaterThan(values.at(-1)! + 0.1);
});

test("for volunteers, the gallery hides what is said about active galaxies, and filters by class show retired ones only", async ({ page }) => {
  const { galaxies, retired, predictions } = await recorded();
  expect(retired.size).toBeGreaterThan(0);
  expect(retired.size).toBeLessThan(galaxies.length);

  await page.goto("/gallery");
  await expectShown(page, galaxies);
  for (const id of galaxies) {
    const tile = page.locator(`li[data-galaxy-id="${id}"]`);
    if (retired.has(id)) {
      await expect(tile).not.toContainText("Still being classified");
    } else {
      await expect(tile).toContainText("Still being classified");
      await expect(tile).not.toContainText("Model:");
      await expect(tile).not.toHaveAttribute("data-predicted");
    }
  }

  for (const cls of HIWL_CLASSES) {
    await page.goto(`/gallery?predicted=${cls}`);
    await expectShown(page, galaxies.filter((id) => retired.has(id) && predictions.get(id)?.predictedClass === cls));
  }
  await page.goto("/gallery?sort=most-uncertain");
  await expect(page.getByText("show retired galaxies only", { exact: false })).toBeVisible();
  expect([...(await shownIds(page))].sort()).toEqual([...retired].sort());
  await page.goto("/gallery?status=active&consensus=spiral");
  await expectShown(page, []);
});
