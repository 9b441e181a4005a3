import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signInAsResearcher } from "./env.ts";

/** axe-core's WCAG 2.1 A and AA rules (contrast included) on the page as it is now. */
async function expectAccessible(page: Page) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(
    violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    "accessibility violations",
  ).toEqual([]);
}

test("the classify page, its tutorial, Talk, the field guide and the dashboard pass an automated accessibility scan", async ({ page, context, baseURL }) => {
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
