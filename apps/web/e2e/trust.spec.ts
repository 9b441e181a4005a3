/**
 * The site tried as an outsider would, with raw HTTP against real production servers of their
 * own (site.ts): forged and flooded votes, cross-site posts, oversized and malformed requests,
 * password guessing, and what a volunteer can learn about a galaxy before answering it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkTallies,
  createModelVersion,
  activateModelVersion,
  createResearcher,
  insertGalaxies,
  retireGalaxy,
  upsertPredictions,
} from "@hiwl/db";
import { ANSWER_IDS } from "@hiwl/model";
import { expect, test } from "@playwright/test";
import { GZ1_DIR } from "./env.ts";
import { addGz1Galaxies, inDb, RawClient, randomKey, startSite, walkInput, type Site } from "./site.ts";

const ROUND = ["1.1", "7.1", "6.2"];
const EDGE_ON = ["1.2", "2.1", "9.1", "6.2"];
const RESEARCHER = { username: "curie", password: "radioactive-42" };

/**
 * Asks for galaxies, classifying each one handed out (as round) until `wanted` is: the queue
 * draws among its top galaxies at random. Returns the classifications made on the way.
 */
async function handedUntil(client: RawClient, wanted: number): Promise<number> {
  for (let made = 0; ; made++) {
    const next = await client.query("classification.next");
    const id = next.json.result?.id as number | undefined;
    if (id === undefined) throw new Error(`galaxy ${wanted} was never handed out: ${next.text}`);
    if (id === wanted) return made;
    expect((await client.mutate("classification.submit", walkInput(id, ROUND, randomKey()))).status).toBe(200);
  }
}

/** A volunteer's browser in one call: gets an identity and a galaxy. */
async function volunteer(site: Site, headers: Record<string, string> = {}) {
  const client = new RawClient(site.url, headers);
  const next = await client.query("classification.next");
  return { client, next, galaxyId: next.json?.result?.id as number | undefined };
}

test.describe("the attacks of issue 11", () => {
  let site: Site;
  let roundGalaxy: number;
  test.beforeAll(async () => {
    site = await startSite(async (db) => {
      const ids = await addGz1Galaxies(db, 3, "round");
      // One galaxy left in the queue, so that every forged vote lands on it.
      roundGalaxy = ids[0]!;
      for (const id of ids.slice(1)) await retireGalaxy(db, id, "count");
      await createResearcher(db, RESEARCHER.username, RESEARCHER.password);
    });
  });
  test.afterAll(() => site.stop());

  test("cookieless submissions create no identity and store nothing; five identities from one address cannot retire a galaxy", async () => {
    for (let i = 0; i < 5; i++) {
      const forged = await new RawClient(site.url).mutate("classification.submit", walkInput(roundGalaxy, EDGE_ON, randomKey()));
      expect(forged.status).toBe(401);
      expect(forged.json.error.data.code).toBe("UNAUTHORIZED");
      expect(forged.headers.get("set-cookie")).toBeNull();
    }
    expect(await inDb(site, (db) => Promise.all([db.volunteer.count({ where: { role: "volunteer" } }), db.classification.count()]))).toEqual([0, 0]);

    // Five real identities (each asked for a galaxy), all voting the round galaxy edge-on.
    const flags: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const { client, galaxyId } = await volunteer(site);
      expect(galaxyId).toBe(roundGalaxy);
      const vote = await client.mutate("classification.submit", walkInput(roundGalaxy, EDGE_ON, randomKey()));
      expect(vote.status).toBe(200);
      expect(vote.json.result.retired).toBeNull();
      flags.push(vote.json.result.flag);
    }
    expect(flags).toEqual([null, null, "same_address", "same_address", "same_address"]);
    const galaxy = await inDb(site, (db) => db.galaxy.findUniqueOrThrow({ where: { id: roundGalaxy } }));
    expect(galaxy).toMatchObject({ retiredAt: null, classificationCount: 2 });
    // A sixth, from a volunteer who has an identity (a display name) but was never handed it: refused.
    const sixth = new RawClient(site.url);
    expect((await sixth.mutate("volunteer.setDisplayName", { name: "Sixth" })).status).toBe(200);
    const refused = await sixth.mutate("classification.submit", walkInput(roundGalaxy, EDGE_ON, randomKey()));
    expect([refused.status, refused.json.error.data.code]).toEqual([409, "CONFLICT"]);
    expect(await inDb(site, (db) => db.classification.count())).toBe(5);
    expect(await inDb(site, checkTallies)).toEqual([]);
  });

  test("a cross-site form post to training.retrain with a researcher's session is refused; the site's own JSON post works", async () => {
    const researcher = new RawClient(site.url);
    const signIn = await researcher.mutate("auth.signIn", RESEARCHER, { origin: site.url });
    expect(signIn.status).toBe(200);
    expect(researcher.cookies.has("hiwl_session")).toBe(true);
    const jobs = () => inDb(site, (db) => db.trainingJob.count());

    const form = new FormData();
    form.set("anything", "1");
    const crossSite = await researcher.send("/api/trpc/training.retrain", {
      method: "POST",
      body: form,
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.json.error).toMatchObject({ code: "FORBIDDEN", requestId: crossSite.headers.get("x-request-id") });
    expect(site.log()).toContain(`refused a cross-site request: origin https://evil.example, Sec-Fetch-Site cross-site; the site's origin is ${site.url}`);
    // The same form without a foreign origin: still not JSON.
    expect((await researcher.send("/api/trpc/training.retrain", { method: "POST", body: form })).status).toBe(415);
    // JSON from a foreign origin, or from a sibling site.
    expect((await researcher.mutate("training.retrain", undefined, { origin: "https://evil.example" })).status).toBe(403);
    expect((await researcher.mutate("training.retrain", undefined, { "sec-fetch-site": "same-site" })).status).toBe(403);
    expect(await jobs()).toBe(0);

    const own = await researcher.mutate("training.retrain", undefined, { origin: site.url, "sec-fetch-site": "same-origin" });
    expect(own.status).toBe(200);
    expect(await jobs()).toBe(1);
  });
});

test.describe("a flood of identities", () => {
  let site: Site;
  test.beforeAll(async () => {
    site = await startSite(async (db) => void (await addGz1Galaxies(db, 5, "round")));
  });
  test.afterAll(() => site.stop());

  test("500 fresh identities from one address get at most the identity burst, and cannot retire a galaxy", async () => {
    const created: RawClient[] = [];
    const refused: number[] = [];
    for (let i = 0; i < 500; i++) {
      // A made-up X-Forwarded-For changes nothing: no proxy is trusted, the socket decides.
      const { client, next } = await volunteer(site, { "x-forwarded-for": `10.1.${i >> 8}.${i & 255}` });
      if (next.status === 200) created.push(client);
      else {
        expect(next.status).toBe(429);
        expect(next.json.error.data.code).toBe("TOO_MANY_REQUESTS");
        refused.push(Number(next.headers.get("retry-after")));
      }
    }
    // The default burst is 30, refilled at one a minute.
    expect(created.length).toBeGreaterThanOrEqual(30);
    expect(created.length).toBeLessThanOrEqual(32);
    expect(refused.every((s) => s >= 1 && s <= 60)).toBe(true);
    const identities = await inDb(site, (db) => db.volunteer.count());
    expect(identities).toBe(created.length);

    // Every identity votes edge-on on every galaxy it is handed until none is left.
    let votes = 0;
    for (const client of created) {
      for (let next = await client.query("classification.next"); next.json.result; next = await client.query("classification.next")) {
        const vote = await client.mutate("classification.submit", walkInput(next.json.result.id, EDGE_ON, randomKey()));
        expect(vote.status).toBe(200);
        expect(vote.json.result.retired).toBeNull();
        votes++;
      }
    }
    expect(votes).toBe(created.length * 5);
    const galaxies = await inDb(site, (db) => db.galaxy.findMany());
    expect(galaxies.map((g) => [g.retiredAt, g.classificationCount])).toEqual(galaxies.map(() => [null, 2]));
    const flagged = await inDb(site, (db) => db.classification.count({ where: { flag: "same_address" } }));
    expect(flagged).toBe(votes - 2 * galaxies.length);
    expect(await inDb(site, checkTallies)).toEqual([]);
  });
});

test.describe("votes, requests, sign-in and what a volunteer may see", () => {
  let site: Site;
  let galaxies: number[];
  const SECRET = { externalId: "secret-objid-587731", prior: 0.123457, pRound: 0.654321 };
  test.beforeAll(async () => {
    site = await startSite(async (db) => {
      galaxies = await addGz1Galaxies(db, 6);
      // A galaxy whose every secret is distinctive enough to search for in what the site sends.
      const prior = ANSWER_IDS.map((_, i) => (i === 0 ? SECRET.prior : 0));
      await insertGalaxies(db, [
        { externalId: SECRET.externalId, source: "kaggle", imagePath: join(GZ1_DIR, "images", readFileSync(join(GZ1_DIR, "labels.csv"), "utf8").split("\n")[9]!.split(",")[0] + ".jpg"), catalogLabel: "edge-on", priorFractions: prior, priority: 100 },
      ]);
      const secret = (await db.galaxy.findFirstOrThrow({ where: { externalId: SECRET.externalId } })).id;
      galaxies.push(secret);
      const model = await createModelVersion(db, { version: "m1", path: "models/m1", config: {}, metrics: {} });
      await activateModelVersion(db, model.id);
      const p = { round: SECRET.pRound, "in-between": 0.1, cigar: 0.1, "edge-on": 0.045679, spiral: 0.1 };
      await upsertPredictions(db, model.id, galaxies.map((galaxyId) => ({ galaxyId, probabilities: p, predictedClass: "round" as const, acquisition: 0.5 })));
      await createResearcher(db, RESEARCHER.username, RESEARCHER.password);
      // As behind a reverse proxy on this machine: the tests name client addresses in X-Forwarded-For.
    }, { HIWL_TRUST_PROXY: "loopback" });
  });
  test.afterAll(() => site.stop());

  const secretGalaxy = () => galaxies.at(-1)!;

  test("a galaxy still being classified shows volunteers no label, fractions, consensus or prediction, anywhere", async () => {
    const client = new RawClient(site.url, { "x-forwarded-for": "198.51.100.10" });
    await handedUntil(client, secretGalaxy());
    // Two votes so that the crowd has fractions and a consensus to give away.
    for (const v of [0, 1]) {
      const other = new RawClient(site.url, { "x-forwarded-for": `198.51.100.${v}` });
      await handedUntil(other, secretGalaxy());
      expect((await other.mutate("classification.submit", walkInput(secretGalaxy(), EDGE_ON, randomKey()))).status).toBe(200);
    }
    const leaks = (text: string) =>
      [SECRET.externalId, String(SECRET.prior), String(SECRET.pRound), "catalogLabel", "priorFractions", "voteFractions", "voteCounts"].filter((s) =>
        text.includes(s),
      );
    const seen = [
      await client.query("classification.next"),
      await client.query("galaxy.byId", { id: secretGalaxy() }),
      await client.query("galaxy.list", { page: 1 }),
      await client.query("galaxy.list", { predicted: "round" }),
      await client.query("galaxy.list", { consensus: "edge-on", retired: false }),
      await client.query("galaxy.list", { sort: "most-uncertain" }),
      await client.query("classification.history", {}),
      await client.send(`/galaxies/${secretGalaxy()}`),
      await client.send("/gallery"),
      await client.send("/gallery?predicted=round"),
      await client.send("/classify"),
    ];
    for (const reply of seen) {
      expect(reply.status).toBe(200);
      expect(leaks(reply.text), reply.text.slice(0, 300)).toEqual([]);
    }
    // Its image (by the hash of its bytes, which the image itself gives anyone) and its vote count only.
    const { imagePath } = await inDb(site, (db) => db.galaxy.findUniqueOrThrow({ where: { id: secretGalaxy() } }));
    expect((await client.query("galaxy.byId", { id: secretGalaxy() })).json.result).toEqual({
      revealed: false,
      id: secretGalaxy(),
      imageHash: createHash("sha256").update(readFileSync(imagePath)).digest("hex"),
      classificationCount: 2,
      retiredAt: null,
      // This client has not classified it.
      classifiedByYouAt: null,
    });
    const tiles = (await client.query("galaxy.list", { page: 1 })).json.result.galaxies as Record<string, unknown>[];
    expect(tiles.length).toBe(galaxies.length);
    for (const tile of tiles) expect(tile).toMatchObject({ revealed: false, externalId: null, consensus: null, predicted: null });
    for (const reply of [await client.query("galaxy.list", { predicted: "round" }), await client.query("galaxy.list", { sort: "least-uncertain" })]) {
      expect(reply.json.result).toMatchObject({ total: 0, galaxies: [], retiredOnly: true });
    }

    // The volunteer's own submission answers with everything.
    const submitted = await client.mutate("classification.submit", walkInput(secretGalaxy(), ROUND, randomKey()));
    expect(submitted.status).toBe(200);
    expect(submitted.json.result.galaxy).toMatchObject({
      revealed: true,
      externalId: SECRET.externalId,
      catalogLabel: "edge-on",
      classificationCount: 3,
      prediction: { predictedClass: "round", probabilities: { round: SECRET.pRound } },
    });
    expect(submitted.json.result.galaxy.priorFractions[0]).toBe(SECRET.prior);
    // ...but the galaxy stays hidden from everyone else (and from them) while it is active.
    expect(leaks((await client.query("galaxy.byId", { id: secretGalaxy() })).text)).toEqual([]);

    // Researchers see everything; once retired, everyone does.
    const researcher = new RawClient(site.url);
    expect((await researcher.mutate("auth.signIn", RESEARCHER)).status).toBe(200);
    expect((await researcher.query("galaxy.byId", { id: secretGalaxy() })).json.result).toMatchObject({ revealed: true, externalId: SECRET.externalId });
    await inDb(site, (db) => retireGalaxy(db, secretGalaxy(), "count"));
    const page = await new RawClient(site.url).send(`/galaxies/${secretGalaxy()}`);
    expect(page.text).toContain(SECRET.externalId);
  });

  test("a vote is taken only for a galaxy handed to its volunteer, once, and retried requests return the stored one", async () => {
    const { client, galaxyId } = await volunteer(site, { "x-forwarded-for": "192.0.2.77" });
    const other = galaxies.find((g) => g !== galaxyId && g !== secretGalaxy())!;
    const count = () => inDb(site, (db) => db.classification.count());
    const before = await count();

    // Not handed out, not there, not an id at all.
    const forged = await client.mutate("classification.submit", walkInput(other, ROUND, randomKey()));
    expect([forged.status, forged.json.error.message]).toEqual([409, `galaxy ${other} was not handed to you: ask for the next galaxy`]);
    expect((await client.mutate("classification.submit", walkInput(987_654, ROUND, randomKey()))).status).toBe(404);
    for (const id of [-1, 0, 1.5, 2 ** 53, "1"]) {
      expect((await client.mutate("classification.submit", { ...walkInput(1, ROUND, randomKey()), galaxyId: id })).status, String(id)).toBe(400);
    }
    expect(await count()).toBe(before);

    // The real one, retried twice with its key, then with the key and other answers, then a new walk.
    const key = randomKey();
    const first = await client.mutate("classification.submit", walkInput(galaxyId!, ROUND, key));
    expect(first.status).toBe(200);
    expect(first.json.result.duplicate).toBe(false);
    // Kept by nothing, and not compressed (the fetch accepted gzip).
    expect([first.headers.get("cache-control"), first.headers.get("content-encoding")]).toEqual(["no-store, no-transform", null]);
    // The answer hands out the next galaxy, its id and image hash only: what classification.next answers after.
    const handedOut = first.json.result.next as { id: number; imageHash: string };
    expect(Object.keys(handedOut).sort()).toEqual(["id", "imageHash"]);
    expect(handedOut.id).not.toBe(galaxyId);
    for (let i = 0; i < 2; i++) {
      const retry = await client.mutate("classification.submit", walkInput(galaxyId!, ROUND, key));
      expect(retry.json.result).toMatchObject({ classificationId: first.json.result.classificationId, duplicate: true, next: handedOut });
    }
    expect((await client.mutate("classification.submit", walkInput(galaxyId!, EDGE_ON, key))).status).toBe(409);
    expect((await client.mutate("classification.submit", walkInput(galaxyId!, ROUND, randomKey()))).status).toBe(409);
    expect(await count()).toBe(before + 1);

    // An expired hand-out: refused, naming the time it expired.
    const next = (await client.query("classification.next")).json.result.id as number;
    expect(next).toBe(handedOut.id);
    await inDb(site, (db) =>
      db.handout.update({ where: { volunteerId_galaxyId: { volunteerId: client.cookies.get("hiwl_volunteer")!, galaxyId: next } }, data: { expiresAt: new Date(Date.now() - 1) } }),
    );
    const stale = await client.mutate("classification.submit", walkInput(next, ROUND, randomKey()));
    expect(stale.status).toBe(409);
    expect(stale.json.error.message).toMatch(/hand-out of galaxy \d+ expired at/);

    // Retired after it was handed out: the vote is stored and flagged, the retirement stands.
    const late = (await client.query("classification.next")).json.result.id as number;
    await inDb(site, (db) => retireGalaxy(db, late, "consensus"));
    const flagged = await client.mutate("classification.submit", walkInput(late, ROUND, randomKey()));
    expect(flagged.json.result).toMatchObject({ flag: "after_retirement", retired: null });
    expect(await inDb(site, (db) => db.galaxy.findUniqueOrThrow({ where: { id: late } }))).toMatchObject({ retirementReason: "consensus" });
    expect(await inDb(site, checkTallies)).toEqual([]);
  });

  test("batches, bodies, content types and cookies are checked before any procedure runs", async () => {
    const client = new RawClient(site.url);
    const batch = (n: number) => `/api/trpc/${Array(n).fill("training.activeModel").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`;
    expect((await client.send(batch(10))).status).toBe(200);
    const eleven = await client.send(batch(11));
    expect(eleven.status).toBe(400);

    const huge = JSON.stringify({ json: { name: "x".repeat(70_000) } });
    const big = await client.send("/api/trpc/volunteer.setDisplayName", { method: "POST", headers: { "content-type": "application/json" }, body: huge });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe("PAYLOAD_TOO_LARGE");
    // Streamed without a length: cut off all the same.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(10_000)));
        c.close();
      },
    });
    const chunked = await client.send("/api/trpc/volunteer.setDisplayName", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      // @ts-expect-error Node's fetch needs this for a stream body; the DOM types lack it.
      duplex: "half",
    });
    expect(chunked.status).toBe(413);
    expect((await client.send("/api/trpc/volunteer.setDisplayName", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" })).status).toBe(415);
    expect(await inDb(site, (db) => db.volunteer.count({ where: { displayName: { not: null } } }))).toBe(0);

    // Malformed cookies count as none: never a 500.
    for (const cookie of ["hiwl_volunteer=%E0%A4%A", "hiwl_session=%", `hiwl_session=${"a".repeat(5000)}`, "hiwl_volunteer=../../etc", "=;;=;"]) {
      const reply = await client.send("/api/trpc/auth.me,volunteer.me?batch=1&input=%7B%7D", { headers: { cookie } });
      expect(reply.status, cookie).toBe(200);
      expect((await client.send("/gallery", { headers: { cookie } })).status, cookie).toBe(200);
    }
  });

  test("every response carries the security headers; pages a fresh nonce-based CSP", async () => {
    const client = new RawClient(site.url);
    const pages = [await client.send("/"), await client.send("/classify")];
    const nonces = pages.map((p) => /script-src [^;]*'nonce-([^']+)'/.exec(p.headers.get("content-security-policy") ?? "")?.[1]);
    expect(nonces.every(Boolean)).toBe(true);
    expect(nonces[0]).not.toBe(nonces[1]);
    expect(pages[0]!.text).toContain(`nonce="${nonces[0]}"`);
    for (const reply of [...pages, await client.query("training.activeModel"), await client.send(`/api/galaxies/${galaxies[0]}/image`)]) {
      expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
      expect(reply.headers.get("referrer-policy")).toBe("same-origin");
      expect(reply.headers.get("x-frame-options")).toBe("DENY");
      expect(reply.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(reply.headers.get("x-powered-by")).toBeNull();
    }
  });

  test("sign-in: one answer for unknown users and wrong passwords, then growing waits, failures logged", async () => {
    const client = new RawClient(site.url, { origin: site.url });
    const unknown = await client.mutate("auth.signIn", { username: "nobody-here", password: "whatever-it-is" });
    const wrong = await client.mutate("auth.signIn", { username: RESEARCHER.username, password: "not-the-password" });
    expect([unknown.status, unknown.json.error.message]).toEqual([401, "Wrong username or password."]);
    expect([wrong.status, wrong.json.error.message]).toEqual([401, "Wrong username or password."]);
    expect(site.log()).toContain(`sign-in failed: "${RESEARCHER.username}" from 127.0.0.1`);

    // Three more failures reach the free five for this username; the next try must wait.
    for (let i = 0; i < 3; i++) expect((await client.mutate("auth.signIn", { username: RESEARCHER.username, password: `guess-${i}-xyz` })).status).toBe(401);
    const throttled = await client.mutate("auth.signIn", { username: RESEARCHER.username, password: RESEARCHER.password });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(site.log()).toContain(`sign-in refused, too many failures: "${RESEARCHER.username}"`);

    // A batch of ten guesses at another account from another address: five checked, five refused.
    const guesser = new RawClient(site.url, { origin: site.url });
    const calls = Array.from({ length: 10 }, (_, i) => ({ username: "other-account", password: `guess-${i}-abc` }));
    const paths = calls.map(() => "auth.signIn").join(",");
    const body = Object.fromEntries(calls.map((c, i) => [i, { json: c }]));
    const batch = await guesser.send(`/api/trpc/${paths}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.9" },
      body: JSON.stringify(body),
    });
    const codes = (JSON.parse(batch.text) as { error: { json: { data: { code: string } } } }[]).map((r) => r.error.json.data.code);
    expect(codes.filter((c) => c === "UNAUTHORIZED")).toHaveLength(5);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS")).toHaveLength(5);
  });

  test("sessions end after the idle timeout, and all at once with sign out everywhere", async () => {
    const [laptop, phone] = [new RawClient(site.url), new RawClient(site.url)];
    // A new address: the sign-in test spent 127.0.0.1's free tries.
    for (const c of [laptop, phone]) expect((await c.mutate("auth.signIn", RESEARCHER, { "x-forwarded-for": "192.0.2.50" })).status).toBe(200);
    for (const c of [laptop, phone]) expect((await c.query("training.jobs")).status).toBe(200);

    const live = await inDb(site, (db) => db.session.count());
    expect(live).toBeGreaterThanOrEqual(2);
    const ended = await laptop.mutate("auth.signOutEverywhere");
    expect(ended.json.result).toEqual({ ended: live });
    expect(await inDb(site, (db) => db.session.count())).toBe(0);
    expect(laptop.cookies.has("hiwl_session")).toBe(false);
    expect((await phone.query("training.jobs")).status).toBe(401);

    const idle = new RawClient(site.url);
    expect((await idle.mutate("auth.signIn", RESEARCHER, { "x-forwarded-for": "192.0.2.50" })).status).toBe(200);
    await inDb(site, (db) => db.session.updateMany({ data: { lastSeenAt: new Date(Date.now() - 121 * 60_000) } }));
    expect((await idle.query("training.jobs")).status).toBe(401);
    expect((await idle.query("auth.me")).json.result).toBeNull();
  });

  test("server faults reach the client as a generic message with a request id; the detail stays in the log", async () => {
    await inDb(site, (db) => db.$executeRawUnsafe('ALTER TABLE "Handout" RENAME TO "HandoutGone"'));
    try {
      const reply = await new RawClient(site.url).query("classification.next");
      expect(reply.status).toBe(500);
      const requestId = reply.headers.get("x-request-id")!;
      expect(reply.json.error.message).toBe(`Something went wrong on the server (request ${requestId}).`);
      expect(reply.json.error.data).toEqual({ code: "INTERNAL_SERVER_ERROR", httpStatus: 500, path: "classification.next", requestId });
      expect(reply.text).not.toMatch(/Handout|prisma|sqlite|at .*\.js/i);
      expect(site.log()).toContain(`request ${requestId}`);
      expect(site.log()).toMatch(/Handout/);
    } finally {
      await inDb(site, (db) => db.$executeRawUnsafe('ALTER TABLE "HandoutGone" RENAME TO "Handout"'));
    }
  });
});
