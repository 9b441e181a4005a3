import { expect, test } from "@playwright/test";
import { expectAccessible } from "./accessible.ts";
import { signInAsResearcher } from "./env.ts";

test("the classify page, its tutorial, Talk, the field guide, the dashboard and the volunteers page pass an automated accessibility scan", async ({ page, context, baseURL }) => {
  await page.goto("/classify");
  await expect(page.getByTestId("classifier")).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("button", { name: "Tutorial" }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("button", { name: "Skip" }).click();

  // After a classification: the crowd's answers and the model's guess.
  for (const label of ["Smooth", "Completely round", "No"]) await page.getByRole("button", { name: label, exact: true }).click();
  await expect(page.getByText("Saved, thank you!")).toBeVisible();
  await expectAccessible(page);

  // The galaxy's page with its discussion open to this volunteer.
  const galaxyId = await page.getByTestId("classifier").getAttribute("data-galaxy-id");
  await page.goto(`/galaxies/${galaxyId}#talk`);
  await expect(page.getByLabel(/Add a comment/)).toBeVisible();
  await expectAccessible(page);

  await page.goto("/field-guide");
  await expectAccessible(page);

  await signInAsResearcher(context, baseURL!);
  await page.goto("/dashboard");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expectAccessible(page);
  await page.goto("/volunteers");
  await expect(page.getByRole("heading", { name: "Volunteers", level: 1 })).toBeVisible();
  await expect(page.getByRole("button", { name: "Estimate now" })).toBeEnabled();
  await expectAccessible(page);
});

test("a volunteer can classify with the keyboard alone, and sees where the focus is", async ({ page }) => {
  await page.goto("/classify");
  await expect(page.getByTestId("classifier")).toBeVisible();
  // Tab reaches the answers; Enter picks the focused one.
  const smooth = page.getByRole("button", { name: "Smooth", exact: true });
  for (let i = 0; i < 40 && !(await smooth.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
  await expect(smooth).toBeFocused();
  const outline = await smooth.evaluate((el) => {
    const style = getComputedStyle(el);
    return { outline: style.outlineStyle, width: style.outlineWidth, shadow: style.boxShadow };
  });
  expect(outline.outline !== "none" || outline.shadow !== "none", `focus is visible: ${JSON.stringify(outline)}`).toBe(true);
  await page.keyboard.press("Enter");
  await page.keyboard.press("1"); // completely round
  await page.keyboard.press("2"); // nothing odd
  await expect(page.getByText("Saved, thank you!")).toBeVisible();
});
