import { answerExamples } from "@hiwl/db";
import { getAnswer, QUESTIONS } from "@hiwl/model";
import { expect, test } from "@playwright/test";
import { readmeScreenshot, testDb } from "./env.ts";

test("the field guide shows every question and answer of the tree with its description and the retired galaxies the crowd agreed on", async ({ page }) => {
  const db = testDb();
  const examples = await answerExamples(db, { perAnswer: 3, minShare: 0.8, minVotes: 5 }).finally(() => db.$disconnect());
  await page.goto("/field-guide");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Field guide");
  await expect(page.getByRole("heading", { level: 2 })).toHaveText(QUESTIONS.map((q) => q.text));
  for (const q of QUESTIONS) {
    for (const a of q.answers) {
      const entry = page.locator(`#question-${q.id} [data-answer="${a.id}"]`);
      await expect(entry).toContainText(a.label);
      await expect(entry).toContainText(a.help);
      const shown = entry.getByRole("img");
      await expect(shown).toHaveCount(examples[a.id]?.length ?? 0);
      for (const [i, e] of (examples[a.id] ?? []).entries()) await expect(shown.nth(i)).toHaveAttribute("alt", `Galaxy ${e.galaxyId}, an example of ${a.label}`);
    }
  }
});

test("the classify page links each question to its place in the field guide", async ({ page, context }) => {
  await page.goto("/classify");
  await page.getByRole("button", { name: getAnswer("1.2").label, exact: true }).click();
  const opened = context.waitForEvent("page");
  await page.getByRole("link", { name: "What do these answers mean?" }).click();
  const guide = await opened;
  await expect(guide).toHaveURL(/\/field-guide#question-2$/);
  await expect(guide.locator("#question-2")).toBeInViewport();
  await readmeScreenshot(guide, "field-guide.png");
});
