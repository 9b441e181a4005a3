import { createResearcher, createSession, retireGalaxy } from "@hiwl/db";
import { getAnswer, getQuestion } from "@hiwl/model";
import { expect, test, type Locator } from "@playwright/test";
import { expectAccessible } from "./accessible.ts";
import { volunteerIdOf } from "./env.ts";
import { addGz1Galaxies, inDb, startSite, type Site } from "./site.ts";

const EXPERT = ["1.2", "2.2", "3.2", "4.1", "10.2", "11.2", "5.2", "6.1", "8.1"];
/** The expert's walk with one answer changed (how tightly the arms are wound). */
const VOLUNTEER = EXPERT.map((id) => (id === "10.2" ? "10.1" : id));

let site: Site | undefined;
test.afterAll(async () => site?.stop());

async function answer(scope: Locator, walk: readonly string[]) {
  for (const id of walk) await scope.getByRole("button", { name: getAnswer(id).label, exact: true }).click();
}

test("gold standard: a researcher marks a galaxy gold, a new volunteer gets it first and learns where they differed, researchers see their skill, and a volunteer coming back is told why", async ({ page, browser }) => {
  // Every galaxy of a newcomer's first ten is gold when one is left for them.
  let galaxies: number[] = [];
  site = await startSite(
    async (db) => {
      galaxies = await addGz1Galaxies(db, 4);
      await createResearcher(db, "expert", "gold-standard-expert-1");
    },
    { HIWL_GOLD: JSON.stringify({ earlyGalaxies: 10, earlyRate: 1, lateRate: 0 }) },
  );
  const url = site.url;
  const [goldGalaxy, , retiredGalaxy] = galaxies as [number, number, number, number];

  // The researcher walks the tree on the galaxy's page.
  const researcherContext = await browser.newContext({ storageState: undefined });
  const { token, researcherId } = await inDb(site, async (db) => {
    const researcher = await db.volunteer.findUniqueOrThrow({ where: { username: "expert" } });
    return { token: (await createSession(db, researcher.id)).token, researcherId: researcher.id };
  });
  await researcherContext.addCookies([{ name: "hiwl_session", value: token, url, httpOnly: true, sameSite: "Lax" }]);
  const researcher = await researcherContext.newPage();
  await researcher.goto(`${url}/galaxies/${goldGalaxy}`);
  const card = researcher.getByTestId("gold-standard");
  await card.getByRole("button", { name: "Mark as gold standard" }).click();
  await expect(card.getByRole("group", { name: getQuestion("1").text })).toBeVisible();
  await answer(card, EXPERT);
  await card.getByRole("button", { name: "Save as gold standard" }).click();
  // Saved: the card shows the stored answers ("Expert answers so far" was the walk in progress).
  await expect(card.getByRole("button", { name: "Remove from the gold standard" })).toBeVisible();
  await expect(card.getByRole("list", { name: "Expert answers", exact: true })).toContainText(getAnswer("10.2").label);
  const stored = await inDb(site, (db) => db.goldStandard.findUniqueOrThrow({ where: { galaxyId: goldGalaxy } }));
  expect([stored.answers, stored.markedById, stored.origin]).toEqual([EXPERT, researcherId, "researcher"]);

  // A first-time volunteer gets the gold galaxy and, after answering, the expert's answers beside theirs.
  await page.goto(`${url}/classify`);
  await page.getByRole("dialog").getByRole("button", { name: "Skip" }).click();
  const classifier = page.getByTestId("classifier");
  await expect(classifier).toHaveAttribute("data-galaxy-id", String(goldGalaxy));
  await answer(classifier, VOLUNTEER);
  await expect(page.getByText("Saved, thank you!")).toBeVisible();
  const feedback = page.getByTestId("gold-feedback");
  await expect(feedback).toContainText(`you agreed on ${EXPERT.length - 1} of ${EXPERT.length} questions`);
  const differed = feedback.locator('li[data-agreed="false"]');
  await expect(differed).toHaveCount(1);
  await expect(differed).toContainText(`you: ${getAnswer("10.1").label}`);
  await expect(differed).toContainText(`expert: ${getAnswer("10.2").label}`);
  await expect(differed.getByRole("link", { name: /field guide/ })).toHaveAttribute("href", "/field-guide#question-10");
  await expectAccessible(page);
  const volunteerId = await volunteerIdOf(page.context());
  const vote = await inDb(site, (db) =>
    db.classification.findFirstOrThrow({ where: { volunteerId }, include: { galaxy: { select: { retiredAt: true, classificationCount: true } } } }),
  );
  expect([vote.galaxyId, vote.flag, vote.galaxy.retiredAt, vote.galaxy.classificationCount]).toEqual([goldGalaxy, "gold", null, 1]);

  // The only gold galaxy is done: the next one comes from the queue.
  await page.getByRole("button", { name: "Next galaxy" }).click();
  await expect(classifier).not.toHaveAttribute("data-galaxy-id", String(goldGalaxy));

  // Coming back to the galaxy they classified: said in plain words, with the next step.
  await page.goto(`${url}/galaxies/${goldGalaxy}`);
  const status = page.getByTestId("your-status");
  await expect(status).toContainText("You classified this galaxy on");
  await expect(status).toContainText("Each volunteer classifies a galaxy once");
  await status.getByRole("link", { name: "Classify the next galaxy →" }).click();
  await expect(page).toHaveURL(/\/classify$/);
  await expect(classifier).toBeVisible();
  // And to one that retired meanwhile.
  await inDb(site, (db) => retireGalaxy(db, retiredGalaxy, "consensus"));
  await page.goto(`${url}/galaxies/${retiredGalaxy}`);
  await expect(page.getByTestId("your-status")).toContainText("It is no longer being classified: the volunteers agreed on what it is.");

  // Researchers see the volunteer's agreement with the expert, and the gold galaxy's record.
  await researcher.goto(`${url}/volunteers`);
  await researcher.getByRole("button", { name: "Estimate now" }).click();
  const row = researcher.getByTestId("volunteer-skills").locator(`tr[data-volunteer-id="${volunteerId}"]`);
  await expect(row.locator("td").nth(2)).toHaveText(`${EXPERT.length - 1}/${EXPERT.length}`);
  await expect(row.locator("td").nth(1)).toHaveText("1");
  const skills = await inDb(site, (db) => db.volunteerSkill.findMany({ where: { volunteerId }, orderBy: { questionId: "asc" } }));
  expect(skills.find((s) => s.questionId === "10")).toMatchObject({ goldAnswers: 1, goldAgreement: 0 });
  expect(skills.find((s) => s.questionId === "1")).toMatchObject({ goldAnswers: 1, goldAgreement: 1 });
  const goldRow = researcher.getByTestId("gold-standards").locator("tr", { hasText: `Galaxy ${goldGalaxy}` });
  await expect(goldRow).toContainText("expert");
  await expect(goldRow.locator("td").nth(4)).toHaveText("0%");
  await researcherContext.close();
});
