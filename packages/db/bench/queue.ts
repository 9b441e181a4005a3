/**
 * Server-side latency of the two queries every volunteer page view runs: "next galaxy" (with
 * its hand-out) and "submit" (checked against the hand-out, retirement in its transaction), on
 * SQLite with 10,000 galaxies and 100,000 classifications.
 *
 *   npm run bench:queue            (from the repo root)
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createDb, handOutGalaxy, limits, migrate, submitClassification } from "../src/index.ts";
import { populateBusyQueue } from "../test/fixtures/busy-queue.ts";

const CALLS = 500;
const dir = mkdtempSync(join(os.tmpdir(), "hiwl-bench-queue-"));
try {
  await migrate(dir);
  const db = createDb({ dataDir: dir });
  const queue = await populateBusyQueue(db);

  const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
  const row = (operation: string, timings: number[]) => {
    const sorted = [...timings].sort((a, b) => a - b);
    return { operation, calls: timings.length, "p50 ms": +percentile(sorted, 0.5).toFixed(2), "p95 ms": +percentile(sorted, 0.95).toFixed(2) };
  };

  const next: number[] = [];
  const submit: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const volunteer = queue.volunteers[(i * 37) % queue.volunteers.length]!;
    let start = performance.now();
    const galaxy = await handOutGalaxy(db, volunteer, { minutes: limits().handoutMinutes });
    next.push(performance.now() - start);
    start = performance.now();
    await submitClassification(db, {
      volunteerId: volunteer,
      galaxyId: galaxy!.id,
      answers: ["1.2", "2.2", "3.2", "4.1", "10.2", "11.2", "5.2", "6.2"],
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    submit.push(performance.now() - start);
  }
  await db.$disconnect();
  const cpus = os.cpus();
  console.log(`machine: ${cpus[0]?.model.trim()} (${cpus.length} cores), load average ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`database: SQLite (WAL), ${queue.byPriority.length} galaxies, ${queue.classifications} classifications`);
  console.table([row("next galaxy", next), row("submit classification", submit)]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
