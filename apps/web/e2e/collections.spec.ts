import { listFavourites } from "@hiwl/db";
import { getAnswer } from "@hiwl/model";
import { expect, test } from "@playwright/test";
import { testDb, volunteerIdOf } from "./env.ts";
import { RawClient } from "./site.ts";

test("a volunteer keeps a galaxy in their favourites and finds it on their collections page, theirs alone", async ({ page, context, browser, baseURL }) => {
  await page.goto("/classify");
  const classifier = page.getByTestId("classifier");
  const galaxyId = Number(await classifier.getAttribute("data-galaxy-id"));
  for (const id of ["1.1", "7.3", "6.2"]) await page.getByRole("button", { name: getAnswer(id).label, exact: true }).click();
  await expect(page.getByText("Saved, thank you!")).toBeVisible();

  const favourite = page.getByRole("button", { name: /favourites/ });
  await expect(favourite).toHaveAttribute("aria-pressed", "false");
  await favourite.click();
  await expect(favourite).toHaveAttribute("aria-pressed", "true");
  await expect(favourite).toHaveText("★ In your favourites");

  const volunteerId = await volunteerIdOf(context);
  const db = testDb();
  try {
    expect((await listFavourites(db, volunteerId)).map((f) => f.galaxyId)).toEqual([galaxyId]);
  } finally {
    await db.$disconnect();
  }

  await page.getByRole("link", { name: "Collections" }).click();
  const list = page.getByTestId("favourites");
  await expect(list.getByRole("link")).toHaveCount(1);
  await expect(list.getByRole("img", { name: `Galaxy ${galaxyId}` })).toBeVisible();

  // Another browser has its own (empty) collection.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto("/collections");
  await expect(otherPage.getByText(/None yet/)).toBeVisible();
  await other.close();

  // Taken out again from the classify page's button on the galaxy... by the API the page uses.
  const client = new RawClient(baseURL!, { origin: baseURL! });
  client.cookies.set("hiwl_volunteer", volunteerId);
  expect((await client.mutate("volunteer.setFavourite", { galaxyId, on: false })).status).toBe(200);
  await page.reload();
  await expect(page.getByText(/None yet/)).toBeVisible();
});

test("favourites need a volunteer identity and an existing galaxy", async ({ baseURL }) => {
  const outsider = new RawClient(baseURL!, { origin: baseURL! });
  const refused = await outsider.mutate("volunteer.setFavourite", { galaxyId: 1, on: true });
  expect([refused.status, refused.json.error.data.code]).toEqual([401, "UNAUTHORIZED"]);
  expect((await outsider.query("volunteer.favourites")).json.result).toEqual([]);

  await outsider.query("classification.next");
  const missing = await outsider.mutate("volunteer.setFavourite", { galaxyId: 999_999, on: true });
  expect([missing.status, missing.json.error.data.code]).toEqual([404, "NOT_FOUND"]);
  const bad = await outsider.mutate("volunteer.setFavourite", { galaxyId: -1, on: true });
  expect(bad.status).toBe(400);
});
