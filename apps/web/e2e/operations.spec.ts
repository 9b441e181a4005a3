/**
 * What an operator relies on, against real production servers of their own: /api/health, one
 * JSON log line per request, and a SIGTERM during a burst of votes that loses none of those
 * the server acknowledged.
 */
import { activateModelVersion, createModelVersion, recordWorkerHeartbeat, recordWorkerStopped } from "@hiwl/db";
import { expect, test } from "@playwright/test";
import { addGz1Galaxies, inDb, RawClient, randomKey, startSite, walkInput, type Site } from "./site.ts";

const ROUND = ["1.1", "7.1", "6.2"];

test.describe("/api/health", () => {
  let site: Site;
  test.beforeAll(async () => {
    site = await startSite(async (db) => void (await addGz1Galaxies(db, 3)));
  });
  test.afterAll(() => site.stop());

  const health = async () => {
    const response = await fetch(`${site.url}/api/health`);
    return { status: response.status, body: await response.json(), cache: response.headers.get("cache-control") };
  };

  test("names what is wrong, in turn: no worker yet, a silent one, a stopped one, an active model without files", async () => {
    const fresh = await health();
    expect(fresh.status).toBe(503);
    expect(fresh.cache).toBe("no-store");
    expect(fresh.body).toMatchObject({
      ok: false,
      database: { ok: true },
      model: { ok: true, version: null, detail: expect.stringMatching(/no model yet/) },
      worker: { ok: false, detail: expect.stringMatching(/no training worker has reported.*hiwl watch/) },
    });
    // A load balancer asks for this server's own readiness alone.
    const ready = await fetch(`${site.url}/api/health?only=database`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).ok).toBe(true);
    expect((await fetch(`${site.url}/api/health?only=everything`)).status).toBe(400);

    await inDb(site, (db) => recordWorkerHeartbeat(db, "gpu-1", "idle", new Date()));
    expect(await health()).toMatchObject({ status: 200, body: { ok: true, worker: { ok: true, workerId: "gpu-1", detail: "gpu-1: idle" } } });

    await inDb(site, (db) => db.workerHeartbeat.update({ where: { workerId: "gpu-1" }, data: { seenAt: new Date(Date.now() - 5 * 60_000) } }));
    expect((await health()).body.worker.detail).toMatch(/gpu-1 has been silent for 3\d\d s/);

    await inDb(site, (db) => recordWorkerStopped(db, "gpu-1"));
    const stopped = await health();
    expect(stopped.status).toBe(503);
    expect(stopped.body.worker.detail).toMatch(/no training worker running: gpu-1 stopped at /);

    await inDb(site, async (db) => {
      await recordWorkerHeartbeat(db, "gpu-1", "job 7", new Date());
      const version = await createModelVersion(db, { version: "gone-20261216", path: "models/gone-20261216", config: {}, metrics: {} });
      await activateModelVersion(db, version.id);
    });
    const missing = await health();
    expect(missing.status).toBe(503);
    expect(missing.body).toMatchObject({
      worker: { ok: true, detail: "gpu-1: job 7" },
      model: { ok: false, version: "gone-20261216", detail: expect.stringMatching(/the active model gone-20261216 has no files at .*models\/gone-20261216/) },
    });
  });

  test("every request leaves one JSON line in the server's log", async () => {
    await (await fetch(`${site.url}/api/health?only=database`)).text();
    await (await fetch(`${site.url}/no-such-page`)).text();
    const lines = () =>
      site
        .log()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const byPath = (path: string) => lines().filter((l) => l.path === path);
    // The line is written once the response has gone out, and reaches the test through a pipe.
    await expect.poll(() => byPath("/no-such-page").length).toBe(1);
    expect(byPath("/api/health").at(-1)).toMatchObject({ method: "GET", status: 200, address: expect.stringMatching(/127\.0\.0\.1$/), requestId: expect.any(String) });
    expect(byPath("/no-such-page").at(-1)).toMatchObject({ method: "GET", status: 404 });
    for (const line of lines().filter((l) => l.path)) expect(typeof line.ms).toBe("number");
  });
});

test.describe("SIGTERM during a burst of votes", () => {
  test("every classification the server acknowledged is stored, and the server exits cleanly", async () => {
    const site = await startSite(async (db) => void (await addGz1Galaxies(db, 60)), { HIWL_LIMITS: JSON.stringify({ submissions: { burst: 1000, perMinute: 6000 } }) });
    try {
      const volunteers = Array.from({ length: 8 }, () => new RawClient(site.url));
      const acknowledged: number[] = [];
      const failures: string[] = [];
      let stop = false;
      const classify = async (client: RawClient) => {
        while (!stop) {
          try {
            const next = await client.query("classification.next");
            const id = next.json?.result?.id as number | undefined;
            if (id === undefined) return;
            const vote = await client.mutate("classification.submit", walkInput(id, ROUND, randomKey()));
            if (vote.status === 200) acknowledged.push(vote.json.result.classificationId as number);
            else failures.push(`${vote.status} ${vote.text.slice(0, 200)}`);
          } catch {
            // Refused connections once the server has stopped listening: never acknowledged.
            return;
          }
        }
      };
      const burst = Promise.all(volunteers.map(classify));
      while (acknowledged.length < 40) await new Promise((resolve) => setTimeout(resolve, 20));
      const exitCode = await site.signal("SIGTERM");
      stop = true;
      await burst;
      expect(exitCode).toBe(0);
      expect(failures).toEqual([]);
      const stored = await inDb(site, (db) => db.classification.findMany({ select: { id: true } }));
      const storedIds = new Set(stored.map((c) => c.id));
      expect(acknowledged.filter((id) => !storedIds.has(id))).toEqual([]);
      expect(site.log()).toMatch(/"event":"stopping","signal":"SIGTERM"/);
      expect(site.log()).toMatch(/"event":"stopped"}/);
    } finally {
      await site.stop();
    }
  });
});
