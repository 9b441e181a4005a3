import { getQuestion, ROOT_QUESTION } from "@hiwl/model";
import { expect, test } from "@playwright/test";
import { readmeScreenshot } from "./env.ts";

// A first-time volunteer: nothing in this browser yet.
test.use({ storageState: { cookies: [], origins: [] } });

test("a first visit opens the tutorial, which can be skipped, stays closed after, and opens again on request", async ({ page }) => {
  await page.goto("/classify");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Tutorial · 1 of 3");
  await dialog.getByRole("button", { name: "Next" }).click();
  // The first question's answers, from the tree's own data.
  const first = getQuestion(ROOT_QUESTION);
  await expect(dialog.getByRole("heading")).toHaveText(`The first question: ${first.text}`);
  for (const a of first.answers) await expect(dialog).toContainText(a.help);
  await readmeScreenshot(page, "tutorial.png");
  await dialog.getByRole("button", { name: "Skip" }).click();
  await expect(dialog).toBeHidden();
  expect(await page.evaluate(() => localStorage.getItem("hiwl.tutorial.seen"))).toBe("1");

  await page.reload();
  await expect(page.getByTestId("classifier")).toBeVisible();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  await page.getByRole("button", { name: "Tutorial" }).click();
  await expect(dialog).toBeVisible();
  for (let i = 0; i < 2; i++) await dialog.getByRole("button", { name: "Next" }).click();
  await dialog.getByRole("button", { name: "Start classifying" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(first.text);
});

test("the classify flow works at phone width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/classify");
  await page.getByRole("dialog").getByRole("button", { name: "Skip" }).click();
  for (const label of ["Smooth", "Completely round", "No"]) await page.getByRole("button", { name: label, exact: true }).click();
  await expect(page.getByText("Saved, thank you!")).toBeVisible();
  // Nothing wider than the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
