import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { checkTallies, ensureVolunteer, queueTrainingJob, type ClassificationSubmission } from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

// The web server and trainer workers are separate processes on one SQLite file; TypeScript
// children run through tsx (the trainer's runner).
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const workerScript = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url));

function startWorker(id: string, submissions: ClassificationSubmission[]) {
  const child: ChildProcess = spawn(process.execPath, ["--import", tsx, workerScript, t.dataDir, id, JSON.stringify(submissions)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`worker ${id} exited early`);
    return line.value;
  };
  return { child, next, exited };
}

describe("several processes on one database", () => {
  it("lose no vote and never share a training job", async () => {
    const galaxies = await addGalaxies(t.db, galaxyRows(3, { source: "processes" }));
    const volunteers = Array.from({ length: 45 }, (_, i) => `p-${i}`);
    await Promise.all([...volunteers, "twice"].map((v) => ensureVolunteer(t.db, v)));
    const jobs = await Promise.all(Array.from({ length: 30 }, () => queueTrainingJob(t.db, {})));
    const walks = [WALKS.round, WALKS.spiral, WALKS.edgeOn, WALKS.cigar, WALKS.star];
    const submission = (volunteerId: string, galaxyId: number, answers: readonly string[]): ClassificationSubmission => ({
      volunteerId,
      galaxyId,
      answers: [...answers],
      startedAt: new Date(),
      finishedAt: new Date(),
    });

    const workers = [0, 1, 2].map((w) =>
      startWorker(`worker-${w}`, [
        ...volunteers
          .filter((_, i) => i % 3 === w)
          .flatMap((v, i) => galaxies.map((g, j) => submission(v, g, walks[(i + j) % walks.length]!))),
        // The same classification (one idempotency key) arriving at every process.
        { ...submission("twice", galaxies[0]!, WALKS.round), idempotencyKey: "the-same-walk-0123456789" },
      ]),
    );
    for (const w of workers) expect(await w.next()).toBe("ready");
    for (const w of workers) w.child.stdin!.end("go\n");
    const reports = await Promise.all(workers.map(async (w) => JSON.parse(await w.next()) as { claimed: number[]; duplicates: number }));
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);

    const claimed = reports.flatMap((r) => r.claimed).sort((a, b) => a - b);
    expect(claimed).toEqual(jobs.map((j) => j.id).sort((a, b) => a - b));
    expect(reports.reduce((n, r) => n + r.duplicates, 0)).toBe(2);
    const stored = await t.db.galaxy.findMany({ where: { id: { in: galaxies } }, orderBy: { id: "asc" } });
    expect(stored.map((g) => g.classificationCount)).toEqual([46, 45, 45]);
    expect(await checkTallies(t.db)).toEqual([]);
    const owners = await t.db.trainingJob.findMany({ where: { id: { in: claimed } }, select: { id: true, workerId: true } });
    for (const [w, r] of reports.entries()) {
      expect(owners.filter((j) => j.workerId === `worker-${w}`).map((j) => j.id).sort((a, b) => a - b)).toEqual(r.claimed.sort((a, b) => a - b));
    }
    console.log(`jobs claimed per process: ${reports.map((r) => r.claimed.length).join(", ")}`);
  }, 90_000);
});
