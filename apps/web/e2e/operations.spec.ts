/**
 * What an operator relies on, against real production servers of their own: /api/health, one
 * JSON log line per request, and servers stopped (SIGTERM) or killed (SIGKILL, one of two on
 * the same database) during a burst of votes, losing none of those acknowledged.
 */
import { activateModelVersion, checkTallies, createModelVersion, recordWorkerHeartbeat, recordWorkerStopped } from "@hiwl/db";
import { expect, test } from "@playwright/test";
import { addGz1Galaxies, inDb, RawClient, randomKey, startServer, startSite, walkInput, type Site } from "./site.ts";

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
    expect(fresh.cache).toBe("no-store, no-transform");
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

/**
 * Volunteers voting as fast as they can on the given servers until stop(). A volunteer whose
 * server stops answering moves to the next one with the same cookies, as behind a load
 * balancer. Acknowledged classification ids and any answer but 200 are collected.
 */
function burst(urls: string[], volunteers: number) {
  const acknowledged: number[] = [];
  const failures: string[] = [];
  const afterStop: number[] = [];
  let stopping = false;
  let stopped = false;
  const classify = async (index: number) => {
    let server = index % urls.length;
    let client = new RawClient(urls[server]!);
    while (!stopped) {
      try {
        const next = await client.query("classification.next");
        const id = (next.json as { result?: { id?: number } | null } | null)?.result?.id;
        if (id === undefined) return;
        const vote = await client.mutate("classification.submit", walkInput(id, ROUND, randomKey()));
        if (vote.status !== 200) failures.push(`${vote.status} ${vote.text.slice(0, 200)}`);
        else (stopping ? afterStop : acknowledged).push((vote.json as { result: { classificationId: number } }).result.classificationId);
      } catch {
        // The server is gone (refused or reset connections): never an acknowledgement.
        server = (server + 1) % urls.length;
        if (server === index % urls.length) return;
        const { cookies } = client;
        client = new RawClient(urls[server]!);
        client.cookies = cookies;
      }
    }
  };
  const running = Promise.all(Array.from({ length: volunteers }, (_, i) => classify(i)));
  return {
    acknowledged,
    afterStop,
    failures,
    async until(count: number) {
      while (acknowledged.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
      stopping = true;
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}

const FAST = { HIWL_LIMITS: JSON.stringify({ submissions: { burst: 1000, perMinute: 6000 }, votesPerAddress: 1000 }) };

async function expectStored(site: Site, ids: readonly number[]) {
  const stored = new Set((await inDb(site, (db) => db.classification.findMany({ select: { id: true } }))).map((c) => c.id));
  expect(ids.filter((id) => !stored.has(id))).toEqual([]);
  expect(await inDb(site, (db) => checkTallies(db))).toEqual([]);
}

test.describe("stopping servers during a burst of votes", () => {
  test("SIGTERM: every classification the server acknowledged is stored, and the server exits cleanly", async () => {
    const site = await startSite(async (db) => void (await addGz1Galaxies(db, 60)), FAST);
    try {
      const votes = burst([site.url], 8);
      await votes.until(40);
      const exitCode = await site.signal("SIGTERM");
      await votes.stop();
      expect(exitCode).toBe(0);
      expect(votes.failures).toEqual([]);
      await expectStored(site, [...votes.acknowledged, ...votes.afterStop]);
      expect(site.log()).toMatch(/"event":"stopping","signal":"SIGTERM"/);
      expect(site.log()).toMatch(/"event":"stopped"}/);
    } finally {
      await site.stop();
    }
  });

  test("SIGKILL of one of two servers: every acknowledged classification is stored, and the other keeps serving", async () => {
    const site = await startSite(async (db) => void (await addGz1Galaxies(db, 120)), FAST);
    const other = await startServer(site.dataDir, FAST);
    try {
      const votes = burst([site.url, other.url], 8);
      await votes.until(40);
      await site.signal("SIGKILL");
      // The volunteers of the killed server carry on with the other one.
      while (votes.afterStop.length < 40) await new Promise((resolve) => setTimeout(resolve, 20));
      await votes.stop();
      expect(votes.failures).toEqual([]);
      await expectStored(site, [...votes.acknowledged, ...votes.afterStop]);
      expect(await fetch(`${other.url}/api/health?only=database`).then((r) => r.status)).toBe(200);
    } finally {
      await other.signal("SIGTERM");
      await site.stop();
    }
  });
});

test("a model activated by the worker reaches every web server without a restart", async () => {
  const site = await startSite(async (db) => void (await addGz1Galaxies(db, 3)));
  const other = await startServer(site.dataDir);
  try {
    const served = () =>
      Promise.all(
        [site.url, other.url].map(async (url) => ((await new RawClient(url).query("training.activeModel")).json as { result: { version: string } | null }).result?.version ?? null),
      );
    expect(await served()).toEqual([null, null]);
    for (const version of ["first-20261206", "second-20261206"]) {
      // As the worker's activation does: one transaction on the shared database.
      await inDb(site, async (db) => activateModelVersion(db, (await createModelVersion(db, { version, path: `models/${version}`, config: {}, metrics: {} })).id));
      expect(await served()).toEqual([version, version]);
    }
  } finally {
    await other.signal("SIGTERM");
    await site.stop();
  }
});

test("rate limits hold across two servers: a flood of new identities split between them gets the burst once", async () => {
  const limits = { HIWL_LIMITS: JSON.stringify({ identities: { burst: 5, perMinute: 1 } }) };
  const site = await startSite(async (db) => void (await addGz1Galaxies(db, 3)), limits);
  const other = await startServer(site.dataDir, limits);
  try {
    // Cookieless clients, as a script makes them: each request asks for a new identity.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => new RawClient(i % 2 === 0 ? site.url : other.url).query("classification.next")),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(new Set(answers.filter((a) => a.status === 429).map((a) => a.headers.get("retry-after")))).toEqual(new Set(["60"]));
    expect(await inDb(site, (db) => db.volunteer.count())).toBe(5);
  } finally {
    await other.signal("SIGTERM");
    await site.stop();
  }
});
