import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ConflictError,
  createResearcher,
  createSession,
  deleteSession,
  ensureVolunteer,
  getSessionVolunteer,
  InvalidInputError,
  setDisplayName,
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
    expect(r.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
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
  });
});
