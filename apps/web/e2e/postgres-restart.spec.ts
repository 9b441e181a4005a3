/**
 * PostgreSQL restarted under load: a server of its own (a throwaway cluster, so no other test
 * loses its database), one web server on it, volunteers voting throughout. While the database
 * is down every request fails fast with a clear 503 and Retry-After (no 500, no request left
 * hanging); once it is back the same server serves again by itself, and every classification
 * it acknowledged is stored, counted once.
 */
import { checkTallies, createScratchDatabase } from "@hiwl/db";
import { expect, test } from "@playwright/test";
import { startPostgres, type ThrowawayPostgres } from "../../../scripts/with-postgres.mjs";
import { addGz1Galaxies, inDb, RawClient, randomKey, startSite, walkInput, type Site } from "./site.ts";

const ROUND = ["1.1", "7.1", "6.2"];

let postgres: ThrowawayPostgres;
let site: Site;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  postgres = await startPostgres();
  const url = await createScratchDatabase(postgres.url);
  site = await startSite(async (db) => void (await addGz1Galaxies(db, 60)), {
    DATABASE_URL: url,
    HIWL_REQUEST_LOG: "off",
    // Three volunteers vote as fast as they can: the per-volunteer pace limit is not under test.
    HIWL_LIMITS: JSON.stringify({ submissions: { burst: 10_000, perMinute: 10_000 } }),
  });
});

test.afterAll(async () => {
  await site?.stop();
  postgres?.stop();
});

type Phase = "before" | "down" | "after";

test("requests fail fast with a 503 while PostgreSQL restarts, and the server recovers by itself", async () => {
  test.setTimeout(120_000);
  let phase: Phase = "before";
  let stopping = false;
  const answers: Record<Phase, number[]> = { before: [], down: [], after: [] };
  const retryAfter = new Set<string | null>();
  const acknowledged = new Set<number>();
  const volunteer = async () => {
    const client = new RawClient(site.url);
    while (!stopping) {
      const next = await client.query("classification.next");
      // By the phase when the answer is read: pg_ctl runs synchronously, so an answer read
      // before the stop was given while PostgreSQL was up.
      answers[phase].push(next.status);
      if (next.status === 503) retryAfter.add(next.headers.get("retry-after"));
      const id = next.json?.result?.id as number | undefined;
      if (next.status !== 200 || id === undefined) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const vote = await client.mutate("classification.submit", walkInput(id, ROUND, randomKey()));
      answers[phase].push(vote.status);
      if (vote.status === 503) retryAfter.add(vote.headers.get("retry-after"));
      if (vote.status === 200) acknowledged.add(vote.json.result.classificationId as number);
    }
  };
  const voting = Promise.all([volunteer(), volunteer(), volunteer()]);
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setTimeout(r, 50));
  };

  await until(() => answers.before.length >= 10);
  postgres.control("stop", "-m", "fast");
  phase = "down";
  await until(() => answers.down.length >= 15);
  const health = await fetch(`${site.url}/api/health?only=database`);
  expect(health.status).toBe(503);
  expect((await health.json()).database.detail).toMatch(/^unreachable: /);
  postgres.control("start");
  phase = "after";
  await until(() => answers.after.filter((s) => s === 200).length >= 20);
  stopping = true;
  await voting;

  expect(answers.before.every((s) => s === 200)).toBe(true);
  // Down: 503s (a vote already under way when the server went may still have been stored: 200).
  // What the server said about anything else (its request log is off: errors only).
  const faults = () => site.log().split("\n").filter((line) => /error|Error/.test(line)).slice(0, 20).join("\n");
  expect(answers.down.filter((s) => s !== 200 && s !== 503), faults()).toEqual([]);
  expect(answers.down.filter((s) => s === 503).length).toBeGreaterThanOrEqual(10);
  expect([...retryAfter]).toEqual(["5"]);
  // Back: the first requests may still meet a connection the restart closed; then all succeed.
  expect(answers.after.filter((s) => s !== 200 && s !== 503), faults()).toEqual([]);
  expect(answers.after.slice(-20)).toEqual(Array(20).fill(200));
  expect(site.log()).not.toMatch(/INTERNAL_SERVER_ERROR|Something went wrong/);

  await inDb(site, async (db) => {
    const stored = new Set((await db.classification.findMany({ select: { id: true } })).map((c) => c.id));
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    expect(await checkTallies(db)).toEqual([]);
  });
});
