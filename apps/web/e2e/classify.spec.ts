import { listVolunteerClassifications } from "@hiwl/db";
import { getAnswer, getQuestion, questionOf } from "@hiwl/model";
import { expect, test, type Page } from "@playwright/test";
import { readmeScreenshot, testDb, volunteerIdOf } from "./env.ts";

/** One step of a walk: click an answer, press its number key, or go back (button or Backspace). */
type Step = { click: string } | { key: string } | { back: "button" | "Backspace" };

const heading = (page: Page) => page.getByRole("heading", { level: 1 });

async function expectQuestionOf(page: Page, answerId: string) {
  await expect(heading(page)).toHaveText(getQuestion(questionOf(answerId)).text);
}

async function run(page: Page, step: Step) {
  if ("click" in step) {
    await expectQuestionOf(page, step.click);
    await page.getByRole("button", { name: getAnswer(step.click).label, exact: true }).click();
  } else if ("key" in step) {
    await expectQuestionOf(page, step.key);
    const index = getQuestion(questionOf(step.key)).answers.findIndex((a) => a.id === step.key);
    await page.keyboard.press(String(index + 1));
  } else if (step.back === "button") {
    await page.getByRole("button", { name: "Back" }).click();
  } else {
    await page.keyboard.press("Backspace");
  }
}

const WALKS: { steps: Step[]; answers: string[] }[] = [
  {
    steps: [{ click: "1.1" }, { click: "7.1" }, { key: "6.2" }],
    answers: ["1.1", "7.1", "6.2"],
  },
  {
    steps: [
      { click: "1.2" },
      { click: "2.1" },
      { back: "button" },
      { click: "2.2" },
      { click: "3.2" },
      { click: "4.2" },
      { click: "5.3" },
      { back: "Backspace" },
      { click: "5.2" },
      { click: "6.1" },
      { click: "8.6" },
    ],
    answers: ["1.2", "2.2", "3.2", "4.2", "5.2", "6.1", "8.6"],
  },
  { steps: [{ click: "1.3" }], answers: ["1.3"] },
];

test("a volunteer classifies three galaxies and the database holds exactly those classifications", async ({ page, context }) => {
  // When each request left: the next galaxy comes with the answer to a vote, its image before the click.
  const requested = new Map<string, number>();
  let nextAsked = 0;
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.includes("classification.next")) nextAsked++;
    if (!requested.has(url.pathname)) requested.set(url.pathname, Date.now());
  });
  await page.goto("/");
  await page.getByRole("link", { name: "Start classifying" }).click();
  await expect(page).toHaveURL(/\/classify$/);

  const classifier = page.getByTestId("classifier");
  const expected = new Map<number, string[]>();
  for (const [i, walk] of WALKS.entries()) {
    await expect(classifier).toBeVisible();
    const galaxyId = Number(await classifier.getAttribute("data-galaxy-id"));
    expect(expected.has(galaxyId), "a galaxy is served once").toBe(false);
    const prediction = page.getByTestId("model-prediction");
    await expect(prediction).toContainText("Answer the questions to see what the model thinks.");
    const image = classifier.getByRole("img", { name: /^Galaxy / });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);

    for (const step of walk.steps) await run(page, step);
    await expect(page.getByText("Saved, thank you!")).toBeVisible();
    await expect(classifier.getByText(/classifications? so far/)).toBeVisible();
    await expect(prediction.locator("li[data-id]")).toHaveCount(5);
    if (i === 1) {
      // The answer trail, the crowd so far and the model's guess: the picture for the README.
      await page.mouse.move(0, 0); // no hover highlight in the picture
      await readmeScreenshot(page, "classify.png");
    }
    expected.set(galaxyId, walk.answers);
    const clicked = Date.now();
    await page.getByRole("button", { name: "Next galaxy" }).click();
    await expect(classifier).not.toHaveAttribute("data-galaxy-id", String(galaxyId));
    const nextId = await classifier.getAttribute("data-galaxy-id");
    expect(requested.get(`/api/galaxies/${nextId}/image`), "the next galaxy's image loads before the click").toBeLessThanOrEqual(clicked);
  }
  expect(nextAsked, "classification.next is asked for the first galaxy only").toBe(1);

  const volunteerId = await volunteerIdOf(context);
  const db = testDb();
  try {
    const stored = await listVolunteerClassifications(db, volunteerId);
    expect(stored).toHaveLength(3);
    for (const c of stored) {
      expect(c.answers, `answers for galaxy ${c.galaxyId}`).toEqual(expected.get(c.galaxyId));
      expect(c.finishedAt.getTime()).toBeGreaterThanOrEqual(c.startedAt.getTime());
      expect(c.userAgent).toContain("Chrome");
    }
  } finally {
    await db.$disconnect();
  }

  await page.getByRole("link", { name: "History" }).click();
  await expect(page.getByTestId("history").locator(":scope > li")).toHaveCount(3);
});
