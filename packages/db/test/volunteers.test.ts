import { createHook } from "node:async_hooks";
import { createHash, randomBytes, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ConflictError,
  createResearcher,
  createSession,
  deleteSession,
  deleteVolunteerSessions,
  disableResearcher,
  enableResearcher,
  ensureVolunteer,
  getSessionVolunteer,
  InvalidInputError,
  listResearchers,
  NotFoundError,
  passwordDerivationsWaiting,
  setDisplayName,
  setResearcherPassword,
  verifyResearcher,
} from "../src/index.ts";
import { useTestDb } from "./helpers.ts";

const t = useTestDb();

describe("volunteers", () => {
  it("creates an anonymous volunteer once and keeps it", async () => {
    const first = await ensureVolunteer(t.db, "cookie-1");
    await setDisplayName(t.db, "cookie-1", "  Stargazer ");
    const again = await ensureVolunteer(t.db, "cookie-1");
    expect(again).toMatchObject({ id: "cookie-1", role: "volunteer", displayName: "Stargazer", simulated: false });
    expect(again.createdAt).toEqual(first.createdAt);
    expect((await setDisplayName(t.db, "cookie-1", null)).displayName).toBeNull();
    expect((await ensureVolunteer(t.db, "sim-1", { simulated: true })).simulated).toBe(true);
    await expect(ensureVolunteer(t.db, "")).rejects.toThrow(InvalidInputError);
    await expect(setDisplayName(t.db, "cookie-1", "x".repeat(41))).rejects.toThrow(InvalidInputError);
  });

  it("stores a self-describing scrypt hash and verifies researcher passwords", async () => {
    const r = await createResearcher(t.db, "edwin", "correct horse battery", { displayName: "Edwin H." });
    expect(r.role).toBe("researcher");
    expect(r.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(r.passwordHash).not.toContain("correct horse");
    const other = await createResearcher(t.db, "vera", "correct horse battery");
    expect(other.passwordHash).not.toBe(r.passwordHash); // random salt

    expect((await verifyResearcher(t.db, "edwin", "correct horse battery"))?.id).toBe(r.id);
    expect(await verifyResearcher(t.db, "edwin", "correct horse batterY")).toBeNull();
    expect(await verifyResearcher(t.db, "nobody", "correct horse battery")).toBeNull();
    await ensureVolunteer(t.db, "plain");
    expect(await verifyResearcher(t.db, "plain", "")).toBeNull();

    await expect(createResearcher(t.db, "edwin", "another long password")).rejects.toThrow(ConflictError);
    await expect(createResearcher(t.db, "x", "another long password")).rejects.toThrow(InvalidInputError);
    await expect(createResearcher(t.db, "short", "short")).rejects.toThrow(/at least 10 characters/);
  });

  it("creates, resolves, expires and deletes sessions by token, storing only its hash", async () => {
    const r = await createResearcher(t.db, "sessions", "a long enough password");
    const { token, expiresAt } = await createSession(t.db, r.id);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
    const stored = await t.db.session.findMany({ where: { volunteerId: r.id } });
    expect(stored.map((s) => s.tokenHash)).toEqual([createHash("sha256").update(token).digest("hex")]);
    expect((await getSessionVolunteer(t.db, token))?.id).toBe(r.id);
    expect(await getSessionVolunteer(t.db, token + "x")).toBeNull();

    const short = await createSession(t.db, r.id, { ttlMs: 30 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await getSessionVolunteer(t.db, short.token)).toBeNull();
    await createSession(t.db, r.id); // purges the expired one
    expect(await t.db.session.count({ where: { volunteerId: r.id } })).toBe(2);

    await deleteSession(t.db, token);
    expect(await getSessionVolunteer(t.db, token)).toBeNull();

    const elsewhere = await createSession(t.db, r.id);
    expect(await deleteVolunteerSessions(t.db, r.id)).toBe(2); // with the one that purged
    expect(await getSessionVolunteer(t.db, elsewhere.token)).toBeNull();
    expect(await deleteVolunteerSessions(t.db, r.id)).toBe(0);
  });
});

const MINUTE = 60_000;
const hashOf = async (name: string) => (await t.db.volunteer.findUniqueOrThrow({ where: { username: name } })).passwordHash!;
const lastSeenOf = async (token: string) =>
  (await t.db.session.findUniqueOrThrow({ where: { tokenHash: createHash("sha256").update(token).digest("hex") } })).lastSeenAt;
const setLastSeen = (token: string, at: Date) =>
  t.db.session.update({ where: { tokenHash: createHash("sha256").update(token).digest("hex") }, data: { lastSeenAt: at } });

describe("password hashes", () => {
  it("verifies a hash stored with older scrypt parameters and re-hashes it with the current ones", async () => {
    const r = await createResearcher(t.db, "legacy", "an old but good password");
    // A hash as createResearcher made them before (N=2^15), of the same password.
    const salt = randomBytes(16);
    const key = scryptSync("an old but good password", salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const old = ["scrypt", 32768, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$");
    await t.db.volunteer.update({ where: { id: r.id }, data: { passwordHash: old } });

    expect(await verifyResearcher(t.db, "legacy", "an old but wrong password")).toBeNull();
    expect(await hashOf("legacy")).toBe(old); // a failed sign-in changes nothing

    const signedIn = await verifyResearcher(t.db, "legacy", "an old but good password");
    expect(signedIn?.id).toBe(r.id);
    const upgraded = await hashOf("legacy");
    expect(upgraded.split("$").slice(1, 4)).toEqual(["131072", "8", "1"]);
    expect(signedIn?.passwordHash).toBe(upgraded);
    expect((await verifyResearcher(t.db, "legacy", "an old but good password"))?.id).toBe(r.id);
    expect(await hashOf("legacy")).toBe(upgraded); // already current: not re-hashed again
  });

  it("runs one scrypt derivation at a time, the others waiting in arrival order", async () => {
    await createResearcher(t.db, "gatekeeper", "a long enough password");
    // Counted by Node itself: a SCRYPTREQUEST exists from the moment scrypt is handed to the
    // thread pool until its callback runs.
    const inFlight = new Set<number>();
    let most = 0;
    const hook = createHook({
      init(id, type) {
        if (type !== "SCRYPTREQUEST") return;
        inFlight.add(id);
        most = Math.max(most, inFlight.size);
      },
      before: (id) => void inFlight.delete(id),
    }).enable();
    try {
      const finished: string[] = [];
      const creating = ["gate-a", "gate-b", "gate-c"].map((name) =>
        createResearcher(t.db, name, "a long enough password").then((v) => finished.push(v.username!)),
      );
      expect(passwordDerivationsWaiting()).toBe(2);
      const checks = [
        verifyResearcher(t.db, "gatekeeper", "a long enough password"),
        verifyResearcher(t.db, "gatekeeper", "a wrong password"),
      ];
      await Promise.all(creating);
      expect((await Promise.all(checks)).map((v) => v?.username ?? null)).toEqual(["gatekeeper", null]);
      expect(finished).toEqual(["gate-a", "gate-b", "gate-c"]);
      expect(most).toBe(1);
      expect(passwordDerivationsWaiting()).toBe(0);
    } finally {
      hook.disable();
    }
  });
});

describe("sessions", () => {
  it("ends a session unused for longer than the idle timeout", async () => {
    const r = await createResearcher(t.db, "idler", "a long enough password");
    const { token } = await createSession(t.db, r.id);
    await setLastSeen(token, new Date(Date.now() - 119 * MINUTE));
    expect((await getSessionVolunteer(t.db, token))?.id).toBe(r.id); // default 120 minutes
    await setLastSeen(token, new Date(Date.now() - 121 * MINUTE));
    expect(await getSessionVolunteer(t.db, token)).toBeNull();
    expect(await t.db.session.count({ where: { volunteerId: r.id } })).toBe(0); // gone for good

    const short = await createSession(t.db, r.id);
    await setLastSeen(short.token, new Date(Date.now() - 10 * MINUTE));
    expect((await getSessionVolunteer(t.db, short.token, { idleMinutes: 15 }))?.id).toBe(r.id);
    await setLastSeen(short.token, new Date(Date.now() - 10 * MINUTE)); // the call above moved it
    expect(await getSessionVolunteer(t.db, short.token, { idleMinutes: 5 })).toBeNull();
  });

  it("moves lastSeenAt forward only when it is a minute old", async () => {
    const r = await createResearcher(t.db, "regular", "a long enough password");
    const { token } = await createSession(t.db, r.id);
    const recent = new Date(Date.now() - 30_000);
    await setLastSeen(token, recent);
    expect((await getSessionVolunteer(t.db, token))?.id).toBe(r.id);
    expect(await lastSeenOf(token)).toEqual(recent);

    await setLastSeen(token, new Date(Date.now() - 90_000));
    const before = Date.now();
    expect((await getSessionVolunteer(t.db, token))?.id).toBe(r.id);
    const seen = (await lastSeenOf(token)).getTime();
    expect(seen).toBeGreaterThanOrEqual(before);
    expect(seen).toBeLessThanOrEqual(Date.now());
  });
});

describe("researcher management", () => {
  it("refuses a disabled researcher at sign-in and in sessions, until enabled", async () => {
    const r = await createResearcher(t.db, "dora", "a long enough password");
    const sessions = [await createSession(t.db, r.id), await createSession(t.db, r.id)];
    expect(await disableResearcher(t.db, "dora")).toEqual({ sessionsEnded: 2 });
    for (const s of sessions) expect(await getSessionVolunteer(t.db, s.token)).toBeNull();
    expect(await verifyResearcher(t.db, "dora", "a long enough password")).toBeNull();
    // A session that exists anyway (created around the check) is refused as well.
    const stray = await createSession(t.db, r.id);
    expect(await getSessionVolunteer(t.db, stray.token)).toBeNull();

    const disabledAt = (await t.db.volunteer.findUniqueOrThrow({ where: { id: r.id } })).disabledAt;
    expect(disabledAt).toBeInstanceOf(Date);
    expect(await disableResearcher(t.db, "dora")).toEqual({ sessionsEnded: 1 });
    expect((await t.db.volunteer.findUniqueOrThrow({ where: { id: r.id } })).disabledAt).toEqual(disabledAt);

    await enableResearcher(t.db, "dora");
    expect((await verifyResearcher(t.db, "dora", "a long enough password"))?.id).toBe(r.id);
    await expect(disableResearcher(t.db, "nobody")).rejects.toThrow(NotFoundError);
    await expect(enableResearcher(t.db, "nobody")).rejects.toThrow('researcher "nobody" does not exist');
  });

  it("sets a new password: the old one stops working and every session ends", async () => {
    const r = await createResearcher(t.db, "pat", "the first password");
    const session = await createSession(t.db, r.id);
    await expect(setResearcherPassword(t.db, "pat", "short")).rejects.toThrow(InvalidInputError);
    expect((await getSessionVolunteer(t.db, session.token))?.id).toBe(r.id); // a refused change ends nothing

    expect(await setResearcherPassword(t.db, "pat", "the second password")).toEqual({ sessionsEnded: 1 });
    expect(await getSessionVolunteer(t.db, session.token)).toBeNull();
    expect(await verifyResearcher(t.db, "pat", "the first password")).toBeNull();
    expect((await verifyResearcher(t.db, "pat", "the second password"))?.id).toBe(r.id);
    await expect(setResearcherPassword(t.db, "nobody", "the second password")).rejects.toThrow(/researcher "nobody" does not exist/);
    await ensureVolunteer(t.db, "anon"); // volunteers have no username: never found by one
    await expect(setResearcherPassword(t.db, "anon", "the second password")).rejects.toThrow(NotFoundError);
  });

  it("lists researchers with their state, live sessions and last request", async () => {
    const ann = await createResearcher(t.db, "list-ann", "a long enough password", { displayName: "Ann" });
    const bob = await createResearcher(t.db, "list-bob", "a long enough password");
    const live = await createSession(t.db, ann.id);
    const idle = await createSession(t.db, ann.id);
    const seen = new Date(Date.now() - 5 * MINUTE);
    const old = new Date(Date.now() - 300 * MINUTE);
    await setLastSeen(live.token, seen);
    await setLastSeen(idle.token, old);
    await disableResearcher(t.db, "list-bob");
    const bobRow = await t.db.volunteer.findUniqueOrThrow({ where: { id: bob.id } });

    const listed = (await listResearchers(t.db)).filter((x) => x.username.startsWith("list-"));
    expect(listed).toEqual([
      { username: "list-ann", displayName: "Ann", createdAt: ann.createdAt, disabledAt: null, liveSessions: 1, lastSeenAt: seen },
      { username: "list-bob", displayName: null, createdAt: bob.createdAt, disabledAt: bobRow.disabledAt, liveSessions: 0, lastSeenAt: null },
    ]);
    const usernames = (await listResearchers(t.db)).map((x) => x.username);
    expect(usernames).toEqual([...usernames].sort());
    expect(usernames).not.toContain("anon");
    expect((await listResearchers(t.db, { idleMinutes: 1 })).find((x) => x.username === "list-ann")?.liveSessions).toBe(0);
  });
});
