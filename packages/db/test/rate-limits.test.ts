import { describe, expect, it } from "vitest";
import { beginSignIn, createDb, FORGET_MS, signInSucceeded, takeToken } from "../src/index.ts";
import { useTestDb } from "./helpers.ts";

const t = useTestDb();
const NOW = 1_800_000_000_000;

describe("rate limits shared through the database", () => {
  it("a token bucket grants its burst, then one token per refill interval, and says how long to wait", async () => {
    const limit = { burst: 3, perMinute: 6 }; // a token every 10 s
    const take = (at: number) => takeToken(t.db, "submissions", "vera", limit, at);
    expect([await take(NOW), await take(NOW), await take(NOW), await take(NOW)]).toEqual([0, 0, 0, 10]);
    expect(await take(NOW + 4_000)).toBe(6);
    expect(await take(NOW + 10_000)).toBe(0);
    expect(await take(NOW + 10_000)).toBe(10);
    // Another key and another kind have buckets of their own.
    expect(await takeToken(t.db, "submissions", "walt", limit, NOW)).toBe(0);
    expect(await takeToken(t.db, "comments", "vera", limit, NOW)).toBe(0);
    // A request that read the clock before another's write lands after it: no token lost,
    // the wait counted from the later time (a wait of 11 s here was 2 servers' flake).
    expect(await take(NOW + 9_000)).toBe(10);
    expect(await take(NOW + 20_000)).toBe(0);
    // Never more than the burst, however long the pause.
    const later = NOW + 3600_000;
    expect([await take(later), await take(later), await take(later), await take(later)]).toEqual([0, 0, 0, 10]);
  });

  it("gives a client the limit once across several servers, however many requests race", async () => {
    // Two clients: two web servers on one database.
    const other = createDb({ dataDir: t.dataDir, url: t.url });
    try {
      const limit = { burst: 5, perMinute: 1 };
      const waits = await Promise.all(
        Array.from({ length: 16 }, (_, i) => takeToken(i % 2 === 0 ? t.db : other, "identities", "203.0.113.7", limit, NOW)),
      );
      expect(waits.filter((w) => w === 0)).toHaveLength(5);
      expect(new Set(waits.filter((w) => w > 0))).toEqual(new Set([60]));
    } finally {
      await other.$disconnect();
    }
  });

  it("slows sign-in after the free failures, for the username and the address, across servers", async () => {
    const limits = { signInFreeFailures: 2, signInDelaySeconds: 4, signInMaxDelaySeconds: 10 };
    // A second server's client on PostgreSQL; on SQLite a second client in one process would
    // block the first one's transaction (client.ts), and processes.test.ts covers processes.
    const other = t.provider === "postgresql" ? createDb({ dataDir: t.dataDir, url: t.url }) : t.db;
    try {
      const burst = await Promise.all(
        Array.from({ length: 6 }, (_, i) => beginSignIn(i % 2 === 0 ? t.db : other, "Ada", "198.51.100.1", limits, NOW)),
      );
      // Two free tries; the others are refused (4 s after the second failure), counting nothing.
      expect(burst.filter((w) => w === 0)).toHaveLength(2);
      expect(new Set(burst.filter((w) => w > 0))).toEqual(new Set([4]));
      // The username from another address, and another username from the address: both wait.
      expect(await beginSignIn(t.db, "ada", "192.0.2.9", limits, NOW + 1000)).toBe(3);
      expect(await beginSignIn(t.db, "bob", "198.51.100.1", limits, NOW + 1000)).toBe(3);
      // After the wait one more try, then the delay doubles up to the cap.
      expect(await beginSignIn(t.db, "ada", "192.0.2.9", limits, NOW + 4000)).toBe(0);
      expect(await beginSignIn(t.db, "ada", "192.0.2.9", limits, NOW + 4000)).toBe(8);
      expect(await beginSignIn(t.db, "ada", "192.0.2.9", limits, NOW + 12_000)).toBe(0);
      expect(await beginSignIn(t.db, "ada", "192.0.2.9", limits, NOW + 12_000)).toBe(10);
      // A success clears the username and gives the address its try back.
      await signInSucceeded(t.db, "ada", "192.0.2.9");
      expect(await beginSignIn(t.db, "ada", "203.0.113.50", limits, NOW + 12_000)).toBe(0);
      expect(await t.db.rateLimit.findUnique({ where: { key: "sign-in-address:192.0.2.9" } })).toMatchObject({ value: 1 });
      // A streak a day old is forgotten.
      expect(await beginSignIn(t.db, "bob", "198.51.100.1", limits, NOW + FORGET_MS + 1000)).toBe(0);
    } finally {
      if (other !== t.db) await other.$disconnect();
    }
  });
});
