import { expect, test } from "@playwright/test";
import { addGz1Galaxies, startSite, type Site } from "./site.ts";

let site: Site;
test.afterAll(async () => site?.stop());

test("when every galaxy has the volunteer's classification, the page says so in plain words and offers somewhere to go", async ({ page }) => {
  site = await startSite(async (db) => void (await addGz1Galaxies(db, 2)));
  await page.goto(`${site.url}/classify`);
  await page.getByRole("dialog").getByRole("button", { name: "Skip" }).click();
  for (let i = 0; i < 2; i++) {
    await page.getByRole("button", { name: "Star or artifact", exact: true }).click();
    await expect(page.getByText("Saved, thank you!")).toBeVisible();
    await page.getByRole("button", { name: "Next galaxy" }).click();
  }
  await expect(page.getByText("No galaxy is waiting for you right now.")).toBeVisible();
  await expect(page.getByText(/has your classification already or has all the votes it needs/)).toBeVisible();
  await page.getByRole("link", { name: "history", exact: true }).click();
  await expect(page.getByTestId("history").locator(":scope > li")).toHaveCount(2);
});
