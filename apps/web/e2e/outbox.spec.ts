import { listVolunteerClassifications } from "@hiwl/db";
import { getAnswer } from "@hiwl/model";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { testDb, volunteerIdOf } from "./env.ts";

// A walk of the tree that ends on its third answer.
const WALK = ["1.1", "7.2", "6.2"];
const SUBMIT = "**/api/trpc/*classification.submit*";

async function answer(page: Page, answers: readonly string[]) {
  for (const id of answers) await page.getByRole("button", { name: getAnswer(id).label, exact: true }).click();
}

async function stored(context: BrowserContext) {
  const volunteerId = await volunteerIdOf(context);
  const db = testDb();
  try {
    return await listVolunteerClassifications(db, volunteerId);
  } finally {
    await db.$disconnect();
  }
}

async function galaxyOnPage(page: Page): Promise<number> {
  const classifier = page.getByTestId("classifier");
  await expect(classifier).toBeVisible();
  return Number(await classifier.getAttribute("data-galaxy-id"));
}

test("a classification made offline is kept, says it is not saved, and arrives once when the network returns", async ({ page, context }) => {
  await page.goto("/classify");
  const galaxyId = await galaxyOnPage(page);
  await answer(page, WALK.slice(0, -1));
  await context.setOffline(true);
  await answer(page, WALK.slice(-1));

  await expect(page.getByText(/Not saved yet: you seem to be offline/)).toBeVisible();
  await expect(page.getByText("Saved, thank you!")).toHaveCount(0);
  // It is in the browser's outbox, not on the server, and retries keep failing while offline.
  expect(await page.evaluate(() => localStorage.getItem("hiwl.outbox"))).toContain(`"galaxyId":${galaxyId}`);
  await page.waitForTimeout(2500);
  expect(await stored(context)).toHaveLength(0);

  await context.setOffline(false);
  await expect(page.getByText("Saved, thank you!")).toBeVisible({ timeout: 20_000 });
  const rows = await stored(context);
  expect(rows.map((c) => [c.galaxyId, c.answers])).toEqual([[galaxyId, WALK]]);
  expect(await page.evaluate(() => localStorage.getItem("hiwl.outbox"))).toBeNull();
});

test("a classification the server never acknowledged survives a reload, and server errors are retried until it is stored once", async ({ page, context }) => {
  await page.goto("/classify");
  const galaxyId = await galaxyOnPage(page);

  // The request dies on the way: the page keeps the walk.
  await page.route(SUBMIT, (route) => route.abort("connectionreset"));
  await answer(page, WALK);
  await expect(page.getByText(/Not saved yet/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Retry now" })).toBeVisible();

  // Closed and opened again while the server is still unreachable: the same galaxy comes back
  // with the walk as it was, waiting to be sent; nothing is stored yet.
  await page.reload();
  expect(await galaxyOnPage(page)).toBe(galaxyId);
  await expect(page.getByText(/Not saved yet/)).toBeVisible();
  for (const id of WALK) await expect(page.getByText(getAnswer(id).label).first()).toBeVisible();
  expect(await stored(context)).toHaveLength(0);

  // The server answers again, first with two 503s: the page backs off and retries by itself.
  await page.unroute(SUBMIT);
  let refusals = 2;
  await page.route(SUBMIT, (route) =>
    refusals-- > 0 ? route.fulfill({ status: 503, contentType: "application/json", body: "[]" }) : route.continue(),
  );
  await expect(page.getByText("Saved, thank you!")).toBeVisible({ timeout: 30_000 });
  expect(refusals).toBeLessThan(0);
  const rows = await stored(context);
  expect(rows.map((c) => [c.galaxyId, c.answers])).toEqual([[galaxyId, WALK]]);

  // The next galaxy is another one, and the outbox is empty.
  await page.getByRole("button", { name: "Next galaxy" }).click();
  await expect(page.getByTestId("classifier")).not.toHaveAttribute("data-galaxy-id", String(galaxyId));
  expect(await page.evaluate(() => localStorage.getItem("hiwl.outbox"))).toBeNull();
});

test("a walk changed after a failed save is a new classification: the unsent one is withdrawn", async ({ page, context }) => {
  await page.goto("/classify");
  const galaxyId = await galaxyOnPage(page);
  await page.route(SUBMIT, (route) => route.abort("connectionreset"));
  await answer(page, WALK);
  await expect(page.getByText(/Not saved yet/)).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  expect(await page.evaluate(() => localStorage.getItem("hiwl.outbox"))).toBeNull();

  await page.unroute(SUBMIT);
  await answer(page, ["6.1", "8.4"]);
  await expect(page.getByText("Saved, thank you!")).toBeVisible();
  const rows = await stored(context);
  expect(rows.map((c) => [c.galaxyId, c.answers])).toEqual([[galaxyId, ["1.1", "7.2", "6.1", "8.4"]]]);
});
