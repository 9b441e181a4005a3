/**
 * `npm run bench:load`, short: two production servers on one database (SQLite, then
 * PostgreSQL: the server `npm test` starts) and the training worker, under simulated volunteers who retry some of their submissions. Whatever
 * the throughput (reported, not asserted), no acknowledged vote is lost or stored twice, no
 * request fails with a 5xx, and every galaxy's tallies equal its classifications.
 */
import { expect, test } from "@playwright/test";
import { runLoad } from "../bench/load.ts";

for (const database of ["sqlite", "postgresql"] as const) {
  test(`two servers on ${database} and the worker under load lose, duplicate and miscount nothing`, async () => {
    test.setTimeout(240_000);
    const result = await runLoad({ servers: 2, database, volunteers: 8, seconds: 15, galaxies: 300, retryRate: 0.2, worker: true });
    console.log(`bench:load (2 servers, 8 volunteers, 15 s, ${database}, worker on): ${result.classificationsPerSec} classifications/s, p95 ${result.p95Ms} ms`);
    expect(result.classifications).toBeGreaterThan(50);
    expect(result.retries).toBeGreaterThan(0);
    expect(result.byKind.retry.requests).toBe(result.retries);
    expect({ errors5xx: result.errors5xx, lost: result.lost, duplicated: result.duplicated, tallyMismatches: result.tallyMismatches, otherErrors: result.otherErrors }).toEqual({
      errors5xx: 0,
      lost: 0,
      duplicated: 0,
      tallyMismatches: 0,
      otherErrors: {},
    });
    expect(result.worker).not.toBeNull();
  });
}
