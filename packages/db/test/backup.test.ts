import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  backupDatabase,
  BackupError,
  createDb,
  createScratchDatabase,
  dropScratchDatabase,
  ensureVolunteer,
  handOutGalaxy,
  submitClassification,
} from "../src/index.ts";
import { testProvider } from "../src/testing.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();
const dir = mkdtempSync(join(tmpdir(), "hiwl-backup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// SQLite's backup is tested through the CLI (apps/trainer/test/cli-accounts.test.ts).
describe.runIf(testProvider() === "postgresql")("hiwl db backup on PostgreSQL", () => {
  it("dumps one moment's state while votes arrive, reports what the file holds, and restores with pg_restore", async () => {
    const galaxies = await addGalaxies(t.db, galaxyRows(40, { source: "backup" }));
    let stop = false;
    let stored = 0;
    const voting = (async () => {
      for (let v = 0; !stop && v < 200; v++) {
        const id = `backup-${v}`;
        await ensureVolunteer(t.db, id);
        const g = await handOutGalaxy(t.db, id, { minutes: 5 });
        await submitClassification(t.db, { volunteerId: id, galaxyId: g!.id, answers: [...WALKS.round], startedAt: new Date(), finishedAt: new Date() });
        stored++;
      }
    })();
    while (stored < 5) await new Promise((r) => setTimeout(r, 20));
    const file = join(dir, "site.dump");
    const result = await backupDatabase(file, { url: t.url });
    stop = true;
    await voting;
    expect(result.galaxies).toBe(galaxies.length);
    expect(result.classifications).toBeGreaterThanOrEqual(5);
    expect(existsSync(`${file}.partial`)).toBe(false);

    const restoredUrl = await createScratchDatabase();
    try {
      execFileSync("pg_restore", ["--no-owner", `--dbname=${restoredUrl}`, file]);
      const restored = createDb({ url: restoredUrl });
      try {
        expect(await restored.galaxy.count()).toBe(result.galaxies);
        expect(await restored.classification.count()).toBe(result.classifications);
        // One moment: every stored vote is in its galaxy's count, none half-written.
        const counted = await restored.galaxy.aggregate({ _sum: { classificationCount: true } });
        expect(counted._sum.classificationCount).toBe(result.classifications);
      } finally {
        await restored.$disconnect();
      }
    } finally {
      await dropScratchDatabase(restoredUrl);
    }

    await expect(backupDatabase(file, { url: t.url })).rejects.toThrow(new BackupError(`${file} exists: name a new file, or pass --overwrite`));
    await expect(backupDatabase(join(dir, "x.dump"), { url: "postgresql://hiwl@127.0.0.1:1/none" })).rejects.toThrow(
      /^cannot reach PostgreSQL at 127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    );
  });
});
