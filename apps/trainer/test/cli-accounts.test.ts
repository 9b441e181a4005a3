/**
 * The account and database-care commands of `hiwl`, run as researchers run them: the real
 * CLI in a child process against a migrated database in a temporary HIWL_DATA_DIR.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkTallies,
  createDb,
  createResearcher,
  createSession,
  ensureVolunteer,
  getSessionVolunteer,
  insertGalaxies,
  migrate,
  submitClassification,
  verifyResearcher,
} from "@hiwl/db";
import { useTestDb } from "@hiwl/db/testing";

const t = useTestDb();
const HIWL = fileURLToPath(new URL("../bin/hiwl.mjs", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hiwl ...args` to its end; `password` becomes $HIWL_RESEARCHER_PASSWORD (none: unset, and no terminal). */
async function hiwl(args: string[], options: { password?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, HIWL_DATA_DIR: t.dataDir };
  delete env.HIWL_RESEARCHER_PASSWORD;
  delete env.HIWL_DEBUG;
  if (options.password !== undefined) env.HIWL_RESEARCHER_PASSWORD = options.password;
  const child = spawn(process.execPath, [HIWL, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

/** `hiwl researcher list`'s rows as cells, cut at the header's column starts. */
function tableRows(stdout: string): Record<string, string>[] {
  const [header, rule, ...lines] = stdout.trimEnd().split("\n");
  expect(rule).toMatch(/^[- ]+$/);
  // Each run of dashes under the header spans one column.
  const starts = [...rule!.matchAll(/-+/g)].map((m) => m.index);
  const titles = starts.map((start, i) => header!.slice(start, starts[i + 1]).trim());
  return lines.map((line) => Object.fromEntries(titles.map((title, i) => [title, line.slice(starts[i], starts[i + 1]).trim()])));
}

const minute = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");

describe("hiwl researcher", () => {
  it("adds a researcher, changes the password (ending sessions), disables, lists and enables", async () => {
    expect(await hiwl(["researcher", "add", "alice"], { password: "alice's first password" })).toEqual({
      code: 0,
      stdout: 'researcher "alice" created\n',
      stderr: "",
    });
    const alice = (await verifyResearcher(t.db, "alice", "alice's first password"))!;
    expect(alice.username).toBe("alice");
    const session = await createSession(t.db, alice.id);

    expect(await hiwl(["researcher", "passwd", "alice"], { password: "alice's second password" })).toEqual({
      code: 0,
      stdout: 'password of "alice" changed; 1 session ended\n',
      stderr: "",
    });
    expect(await getSessionVolunteer(t.db, session.token)).toBeNull();
    expect(await verifyResearcher(t.db, "alice", "alice's first password")).toBeNull();
    expect((await verifyResearcher(t.db, "alice", "alice's second password"))?.id).toBe(alice.id);

    expect(await hiwl(["researcher", "passwd", "bob"], { password: "bob's new password" })).toEqual({
      code: 1,
      stdout: "",
      stderr: 'hiwl: researcher "bob" does not exist\n',
    });
    expect(await hiwl(["researcher", "passwd", "alice"], { password: "short" })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^hiwl: invalid password: .*at least 10 characters/),
    });
    expect(await hiwl(["researcher", "passwd", "alice"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "hiwl: no terminal to ask for the password: set HIWL_RESEARCHER_PASSWORD\n",
    });

    await createSession(t.db, alice.id);
    expect(await hiwl(["researcher", "disable", "alice"])).toEqual({
      code: 0,
      stdout: 'researcher "alice" disabled; 1 session ended\n',
      stderr: "",
    });
    expect(await verifyResearcher(t.db, "alice", "alice's second password")).toBeNull();

    const carol = await createResearcher(t.db, "carol", "carol's own password", { displayName: "Carol C." });
    await createSession(t.db, carol.id);
    const list = await hiwl(["researcher", "list"]);
    expect(list).toMatchObject({ code: 0, stderr: "" });
    const aliceRow = await t.db.volunteer.findUniqueOrThrow({ where: { id: alice.id } });
    const carolSeen = (await t.db.session.findFirstOrThrow({ where: { volunteerId: carol.id } })).lastSeenAt;
    expect(tableRows(list.stdout)).toEqual([
      {
        username: "alice",
        name: "",
        "created (UTC)": minute(aliceRow.createdAt),
        state: `disabled ${minute(aliceRow.disabledAt!)}`,
        "live sessions": "0",
        "last seen (UTC)": "-",
      },
      {
        username: "carol",
        name: "Carol C.",
        "created (UTC)": minute(carol.createdAt),
        state: "active",
        "live sessions": "1",
        "last seen (UTC)": minute(carolSeen),
      },
    ]);

    expect(await hiwl(["researcher", "enable", "alice"])).toEqual({ code: 0, stdout: 'researcher "alice" enabled\n', stderr: "" });
    expect((await verifyResearcher(t.db, "alice", "alice's second password"))?.id).toBe(alice.id);
  });
});

const ROUND = ["1.1", "7.1", "6.2"];
const SPIRAL = ["1.2", "2.2", "3.2", "4.1", "10.2", "11.2", "5.2", "6.1", "8.1"];

describe("hiwl db check and hiwl volunteer delete", () => {
  let g: number[];
  const tally = async (galaxyId: number, answerId: string) =>
    (await t.db.voteTally.findUniqueOrThrow({ where: { galaxyId_answerId: { galaxyId, answerId } } })).count;

  beforeAll(async () => {
    await insertGalaxies(t.db, [0, 1, 2].map((i) => ({ externalId: `c${i}`, source: "cli-test", imagePath: `images/cli/${i}.jpg` })));
    g = (await t.db.galaxy.findMany({ where: { source: "cli-test" }, orderBy: { externalId: "asc" } })).map((x) => x.id);
    // Galaxies 0 and 1 get a round and a spiral walk each, so that every answer of both walks
    // has a tally there (24 tally rows); galaxy 2 has no votes. "spammer" voted on 0 and 1.
    const votes: [string, number, string[]][] = [
      ["spammer", 0, ROUND],
      ["spammer", 1, ROUND],
      ["honest", 0, SPIRAL],
      ["honest", 1, SPIRAL],
      ["another", 0, ROUND],
    ];
    for (const [volunteer, i, answers] of votes) {
      await ensureVolunteer(t.db, volunteer);
      const now = new Date();
      await submitClassification(
        t.db,
        { volunteerId: volunteer, galaxyId: g[i]!, answers, startedAt: now, finishedAt: now },
        { requireHandout: false },
      );
    }
  });

  it("reports a consistent database and exits 0", async () => {
    expect(await hiwl(["db", "check"])).toEqual({
      code: 0,
      stdout: "tallies, counts and consensus match the classifications (3 galaxies)\n",
      stderr: "",
    });
  });

  it("prints a corrupted tally and exits 1 without --repair, changing nothing", async () => {
    expect(await tally(g[0]!, "1.1")).toBe(2);
    await t.db.$executeRaw`UPDATE VoteTally SET count = 7 WHERE galaxyId = ${g[0]} AND answerId = '1.1'`;
    const expected = {
      code: 1,
      stdout: `1 mismatch in 1 galaxy:\n  galaxy ${g[0]}, answer 1.1: stored 7, recomputed 2\n`,
      stderr: "hiwl: tallies do not match the classifications: `hiwl db check --repair` rebuilds them from the classifications\n",
    };
    expect(await hiwl(["db", "check"])).toEqual(expected);
    expect(await hiwl(["db", "check"])).toEqual(expected); // the check itself repaired nothing
  });

  it("repairs with --repair, showing the first 20 mismatches, and the check is clean afterwards", async () => {
    // On top of the corrupted 1.1: every other tally one too high, and a wrong count.
    await t.db.$executeRaw`UPDATE VoteTally SET count = count + 1 WHERE NOT (galaxyId = ${g[0]} AND answerId = '1.1')`;
    await t.db.$executeRaw`UPDATE Galaxy SET classificationCount = 9 WHERE id = ${g[1]}`;
    const wrong = await checkTallies(t.db);
    expect(wrong).toHaveLength(12 + 12 + 1);

    const repair = await hiwl(["db", "check", "--repair"]);
    expect(repair).toMatchObject({ code: 0, stderr: "" });
    const lines = repair.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("25 mismatches in 2 galaxies:");
    expect(lines.slice(1, 21)).toHaveLength(20);
    expect(lines).toContain(`  galaxy ${g[0]}, answer 1.1: stored 7, recomputed 2`);
    expect(lines).toContain(`  galaxy ${g[0]}, answer 7.1: stored 3, recomputed 2`);
    expect(lines.slice(21)).toEqual([
      "  ... and 5 more",
      "rebuilt the tallies, counts and consensus of 2 galaxies from their classifications",
      "tallies, counts and consensus match the classifications (3 galaxies)",
    ]);

    expect(await checkTallies(t.db)).toEqual([]);
    expect(await tally(g[0]!, "1.1")).toBe(2);
    expect((await t.db.galaxy.findUniqueOrThrow({ where: { id: g[1] } })).classificationCount).toBe(2);
    expect(await hiwl(["db", "check"])).toMatchObject({ code: 0, stdout: "tallies, counts and consensus match the classifications (3 galaxies)\n" });
  });

  it("deletes a volunteer with their classifications and rebuilds the tallies they touched", async () => {
    expect(await hiwl(["volunteer", "delete", "spammer"])).toEqual({
      code: 0,
      stdout: "volunteer spammer deleted with 2 classifications; tallies, counts and consensus of 2 galaxies rebuilt\n",
      stderr: "",
    });
    expect(await t.db.volunteer.findUnique({ where: { id: "spammer" } })).toBeNull();
    expect(await checkTallies(t.db)).toEqual([]);
    const counts = await t.db.galaxy.findMany({ where: { id: { in: g } }, orderBy: { id: "asc" }, select: { classificationCount: true } });
    expect(counts.map((c) => c.classificationCount)).toEqual([2, 1, 0]);
    expect(await tally(g[0]!, "1.1")).toBe(1);
    expect(await t.db.voteTally.count({ where: { galaxyId: g[1], answerId: "1.1" } })).toBe(0);

    expect(await hiwl(["volunteer", "delete", "spammer"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "hiwl: volunteer spammer does not exist\n",
    });
    expect(await hiwl(["db", "check"])).toMatchObject({ code: 0 });
  });
});

describe("hiwl gold and hiwl skills", () => {
  it("imports expert walks, lists them with how volunteers did, and estimates and prints the volunteers' skill", async () => {
    await insertGalaxies(t.db, ["e1", "e2"].map((id) => ({ externalId: id, source: "experts", imagePath: `images/${id}.jpg` })));
    const ids = (await t.db.galaxy.findMany({ where: { source: "experts" }, orderBy: { id: "asc" } })).map((g) => g.id);
    const file = join(t.dataDir, "experts.csv");
    writeFileSync(file, ["source,externalId,answers", "experts,e1,1.1 7.1 6.2", "experts,e2,1.3"].join("\n"));
    expect(await hiwl(["gold", "import", file])).toEqual({ code: 0, stdout: `2 gold galaxies imported from ${file}\n`, stderr: "" });

    for (const [volunteer, answers] of [["sure", ["1.1", "7.1", "6.2"]], ["unsure", ["1.2", "2.1", "9.1", "6.2"]]] as const) {
      await ensureVolunteer(t.db, volunteer);
      await submitClassification(
        t.db,
        { volunteerId: volunteer, galaxyId: ids[0]!, answers: [...answers], startedAt: new Date(), finishedAt: new Date() },
        { requireHandout: false },
      );
    }
    const list = await hiwl(["gold", "list"]);
    expect(list.code).toBe(0);
    const byGalaxy = new Map(tableRows(list.stdout).map((r) => [r.galaxy, r]));
    expect(byGalaxy.get(String(ids[0]))).toMatchObject({ "expert answers": "1.1 7.1 6.2", from: "import:experts.csv", classified: "2", agreed: "50%" });
    expect(byGalaxy.get(String(ids[1]))).toMatchObject({ "expert answers": "1.3", classified: "0", agreed: "-" });

    const skills = await hiwl(["skills", "--top", "100"]);
    expect(skills.code, skills.stderr).toBe(0);
    const [first, ...table] = skills.stdout.split("\n");
    expect(first).toMatch(/^skills of \d+ volunteers estimated$/);
    const rows = new Map(tableRows(table.join("\n")).map((r) => [r.volunteer, r]));
    // Q1 and Q6 were compared with the expert: "sure" matched both and Q7, "unsure" only Q6.
    expect(rows.get("sure")).toMatchObject({ classifications: "1", "gold agreed": "3/3" });
    expect(rows.get("unsure")).toMatchObject({ classifications: "1", "gold agreed": "1/2" });
    expect(Number(rows.get("sure")!.reliability)).toBeGreaterThan(Number(rows.get("unsure")!.reliability));
  });
});

describe("hiwl db backup", () => {
  it("copies the live database while votes keep arriving: the copy is one moment's state, and it restores", async () => {
    await insertGalaxies(t.db, Array.from({ length: 40 }, (_, i) => ({ externalId: `b${i}`, source: "backup-test", imagePath: `images/b/${i}.jpg` })));
    const galaxies = (await t.db.galaxy.findMany({ where: { source: "backup-test" }, orderBy: { id: "asc" } })).map((x) => x.id);
    // A writer of its own (another connection, as the site is) votes until the backup is done.
    const writer = createDb({ dataDir: t.dataDir });
    let writing = true;
    let written = 0;
    const votes = (async () => {
      for (let i = 0; writing; i++) {
        const volunteer = `backer${i % 7}`;
        // better-sqlite3 answers at once, so without this the loop would starve the timers.
        await new Promise((resolve) => setImmediate(resolve));
        await ensureVolunteer(writer, volunteer);
        const now = new Date();
        const galaxyId = galaxies[i % galaxies.length]!;
        await submitClassification(writer, { volunteerId: volunteer, galaxyId, answers: ROUND, startedAt: now, finishedAt: now }, { requireHandout: false }).catch(
          // The same volunteer on the same galaxy again: refused, as it should be.
          () => {},
        );
        written++;
      }
    })();
    const writerState: { error: Error | null } = { error: null };
    votes.catch((error: unknown) => (writerState.error = error instanceof Error ? error : new Error(String(error))));
    while (written < 20) {
      if (writerState.error) throw writerState.error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const before = await t.db.classification.count();
    const file = join(t.dataDir, "backup.db");
    const run = await hiwl(["db", "backup", file]);
    const after = await t.db.classification.count();
    writing = false;
    await votes;
    await writer.$disconnect();
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const printed = /^backed up .*hiwl\.db to (.*) \([\d.]+ MB, integrity checked: (\d+) galaxies, (\d+) classifications\)\n$/.exec(run.stdout);
    expect(printed, run.stdout).not.toBeNull();
    expect(printed![1]).toBe(file);
    const copied = Number(printed![3]);
    expect(copied).toBeGreaterThanOrEqual(before);
    expect(copied).toBeLessThanOrEqual(after);
    // Votes arrived while the copy was made.
    expect(after).toBeGreaterThan(before);

    // Restored as docs/operations.md says: the file becomes hiwl.db of a data directory.
    const restoredDir = mkdtempSync(join(tmpdir(), "hiwl-restore-"));
    try {
      copyFileSync(file, join(restoredDir, "hiwl.db"));
      await migrate(restoredDir);
      const restored = createDb({ dataDir: restoredDir });
      try {
        expect(await restored.classification.count()).toBe(copied);
        // Every tally matches the classifications in the copy: no half-applied vote.
        expect(await checkTallies(restored)).toEqual([]);
      } finally {
        await restored.$disconnect();
      }
    } finally {
      rmSync(restoredDir, { recursive: true, force: true });
    }

    const again = await hiwl(["db", "backup", file]);
    expect(again).toMatchObject({ code: 1, stderr: `hiwl: ${file} exists: name a new file, or pass --overwrite\n` });
    expect((await hiwl(["db", "backup", file, "--overwrite"])).code).toBe(0);
    expect((await hiwl(["db", "backup", join(t.dataDir, "hiwl.db")])).stderr).toMatch(/is the live database itself/);
  });
});
