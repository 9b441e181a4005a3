import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { listJobs } from "@hiwl/db";
import { ANSWER_IDS, kaggleColumn } from "@hiwl/model";
import { expect, test } from "@playwright/test";
import { RESEARCHER, screenshotPath, testDb } from "./env.ts";

test("a researcher signs in, retrains and sees the queued job", async ({ page, context }) => {
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin$/);

  await page.getByLabel("Username").fill(RESEARCHER.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong username or password.")).toBeVisible();

  await page.getByLabel("Password").fill(RESEARCHER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  const session = (await context.cookies()).find((c) => c.name === "hiwl_session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });

  await page.getByRole("button", { name: "Retrain now" }).click();
  const status = page.getByRole("status");
  await expect(status).toHaveText(/Job #\d+ queued\./);
  const jobId = Number((await status.textContent())!.match(/#(\d+)/)![1]);
  await expect(page.locator(`[data-job-id="${jobId}"]`)).toContainText("queued");

  const db = testDb();
  try {
    const [job] = await listJobs(db, { status: "queued" });
    expect(job).toMatchObject({ id: jobId, status: "queued" });
    expect(job!.requestedById).toBeTruthy();
  } finally {
    await db.$disconnect();
  }

  // Researchers may export: the votes file has the Kaggle header.
  const votes = await page.request.get("/api/export/votes.csv");
  expect(votes.status()).toBe(200);
  expect((await votes.text()).split("\n")[0]).toBe(["GalaxyID", ...ANSWER_IDS.map(kaggleColumn)].join(","));

  await expect(page.getByTestId("classifications-chart").locator("svg path.recharts-curve")).toBeVisible();
  mkdirSync(dirname(screenshotPath("dashboard.png")), { recursive: true });
  await page.screenshot({ path: screenshotPath("dashboard.png"), fullPage: true });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Researcher sign-in" })).toBeVisible();
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin$/);
});
