import { createSession, ensureVolunteer } from "@hiwl/db";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { testDb } from "./env.ts";

const jobCount = async () => {
  const db = testDb();
  try {
    return await db.trainingJob.count();
  } finally {
    await db.$disconnect();
  }
};

/** Everything that changes the model or exports data, as a client without the right session sends it. */
async function attempts(request: APIRequestContext, headers: Record<string, string>) {
  const retrain = await request.post("/api/trpc/training.retrain", { headers, data: {} });
  const jobs = await request.get("/api/trpc/training.jobs", { headers });
  const votes = await request.get("/api/export/votes.csv", { headers });
  const predictions = await request.get("/api/export/predictions.csv", { headers });
  return [retrain.status(), jobs.status(), votes.status(), predictions.status()];
}

test("without a researcher session, retraining and exports are refused and nothing changes", async ({ request }) => {
  const before = await jobCount();

  expect(await attempts(request, {})).toEqual([401, 401, 401, 401]);

  // A valid session, but a volunteer's, not a researcher's.
  const db = testDb();
  const token = await (async () => {
    try {
      const volunteer = await ensureVolunteer(db, crypto.randomUUID());
      return (await createSession(db, volunteer.id)).token;
    } finally {
      await db.$disconnect();
    }
  })();
  expect(await attempts(request, { cookie: `hiwl_session=${token}` })).toEqual([403, 403, 403, 403]);

  // A made-up token is no session at all.
  expect(await attempts(request, { cookie: "hiwl_session=forged" })).toEqual([401, 401, 401, 401]);

  expect(await jobCount()).toBe(before);
});
