import { getAnswer } from "@hiwl/model";
import { expect, test, type Page } from "@playwright/test";
import { readmeScreenshot, signInAsResearcher, testDb, volunteerIdOf } from "./env.ts";
import { addGz1Galaxies, RawClient, startSite, type Site } from "./site.ts";

const INJECTION = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> Dust lane or #spiral-arms?`;

let site: Site | undefined;
test.afterAll(async () => site?.stop());

async function classifyOne(page: Page, base = ""): Promise<number> {
  await page.goto(`${base}/classify`);
  if (base) await page.getByRole("dialog").getByRole("button", { name: "Skip" }).click();
  const classifier = page.getByTestId("classifier");
  const galaxyId = Number(await classifier.getAttribute("data-galaxy-id"));
  for (const id of ["1.2", "2.1", "9.1", "6.1", "8.7"]) await page.getByRole("button", { name: getAnswer(id).label, exact: true }).click();
  await expect(page.getByText("Saved, thank you!")).toBeVisible();
  return galaxyId;
}

test("Done & Talk: a volunteer discusses a galaxy they classified, with hashtags, as plain text; others see it only once they have classified it", async ({ page, browser }) => {
  // A site of its own, whose galaxies have no votes yet: one classification retires none, so
  // the discussion stays closed to everyone else.
  site = await startSite(async (db) => void (await addGz1Galaxies(db, 3)));
  const baseURL = site.url;
  const galaxyId = await classifyOne(page, baseURL);
  await page.getByRole("link", { name: "Done & Talk" }).click();
  await expect(page).toHaveURL(new RegExp(`/galaxies/${galaxyId}#talk$`));
  const talk = page.locator("#talk");
  await expect(talk.getByText("No comments yet")).toBeVisible();
  await talk.getByLabel(/Add a comment/).fill(INJECTION);
  await talk.getByRole("button", { name: "Post" }).click();

  const comment = talk.getByTestId("comments").locator("li").first();
  await expect(talk.getByTestId("comments").locator("li")).toHaveCount(1);
  // Shown as the text it is: no element from it, nothing run.
  await expect(comment).toContainText("<script>window.__pwned = 1</script>");
  await expect(comment.locator("script, img")).toHaveCount(0);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  await talk.getByLabel(/Add a comment/).fill("A lovely dark band along the disk. #dust-lane");
  await talk.getByRole("button", { name: "Post" }).click();
  await expect(talk.getByTestId("comments").locator("li")).toHaveCount(2);
  await page.evaluate(() => window.scrollTo(0, 0));
  await readmeScreenshot(page, "talk.png");

  // The hashtag's page lists the galaxy, for this volunteer.
  await comment.getByRole("link", { name: "#spiral-arms" }).click();
  await expect(page).toHaveURL(/\/talk\/tags\/spiral-arms$/);
  await expect(page.getByTestId("tagged").getByRole("img", { name: `Galaxy ${galaxyId}` })).toBeVisible();

  // Someone who has not classified this (still active) galaxy sees neither the discussion nor the tag.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto(`${baseURL}/galaxies/${galaxyId}`);
  await expect(otherPage.locator("#talk")).toContainText("opens once you have classified it");
  await expect(otherPage.locator("#talk").getByText("Dust lane")).toHaveCount(0);
  await otherPage.goto(`${baseURL}/talk/tags/spiral-arms`);
  await expect(otherPage.getByText("No galaxy you can see the discussion of carries this tag yet.")).toBeVisible();
  const outsider = new RawClient(baseURL, { origin: baseURL });
  expect((await outsider.query("talk.comments", { galaxyId })).json.result).toMatchObject({ open: false, comments: [] });
  await other.close();
});

test("researchers hide comments and block volunteers; comments are rate-limited", async ({ page, context, browser, baseURL }) => {
  const galaxyId = await classifyOne(page);
  const volunteerId = await volunteerIdOf(context);
  const volunteer = new RawClient(baseURL!, { origin: baseURL! });
  volunteer.cookies.set("hiwl_volunteer", volunteerId);
  expect((await volunteer.mutate("talk.post", { galaxyId, body: "a #ring, surely" })).status).toBe(200);

  const researcherContext = await browser.newContext();
  await signInAsResearcher(researcherContext, baseURL!);
  const researcher = await researcherContext.newPage();
  await researcher.goto(`/galaxies/${galaxyId}#talk`);
  const comment = researcher.locator("#talk li", { hasText: "a #ring, surely" });
  await comment.getByRole("button", { name: "Hide" }).click();
  await expect(comment).toContainText("hidden");
  await comment.getByRole("button", { name: "Block author" }).click();
  await expect(researcher.getByText("The author can no longer post.")).toBeVisible();
  await researcherContext.close();

  // Hidden from the volunteers, and the blocked author cannot post.
  await page.goto(`/galaxies/${galaxyId}#talk`);
  await expect(page.locator("#talk").getByText("No comments yet")).toBeVisible();
  const refused = await volunteer.mutate("talk.post", { galaxyId, body: "again" });
  expect([refused.status, refused.json.error.message]).toEqual([409, "you can no longer post in Talk"]);
  const db = testDb();
  try {
    await db.volunteer.update({ where: { id: volunteerId }, data: { blockedAt: null } });
  } finally {
    await db.$disconnect();
  }

  // A burst of 5 (two spent above), then one every 20 s: a run of posts is cut off with 429s.
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await volunteer.mutate("talk.post", { galaxyId, body: `comment ${i}` })).status);
  const firstRefusal = statuses.indexOf(429);
  expect(firstRefusal, statuses.join(",")).toBeGreaterThanOrEqual(2);
  expect(statuses.slice(0, firstRefusal).every((s) => s === 200) && statuses.slice(firstRefusal).every((s) => s === 429), statuses.join(",")).toBe(true);
});
