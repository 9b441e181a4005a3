/**
 * Bad input, everywhere it can come in: the API, the file routes, cookies, the `hiwl` CLI and
 * the importers. Each case asserts the status or message a client gets, and that the database
 * (every table, row for row) and the data directory (every file) are exactly as before. Every
 * case is listed in docs/security.md; the last test keeps that table and this list in step.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { activateModelVersion, createModelVersion, createResearcher, insertGalaxies, type Db } from "@hiwl/db";
import { ANSWER_IDS, kaggleColumn } from "@hiwl/model";
import { expect, test } from "@playwright/test";
import { GZ1_DIR, repoRoot } from "./env.ts";
import { TEST_MODELS, modelDir, writeTestModel } from "./models.ts";
import { RawClient, randomKey, startSite, walkInput, type Reply, type Site } from "./site.ts";

const HIWL = join(repoRoot, "apps/trainer/bin/hiwl.mjs");
const RESEARCHER = { username: "hubble", password: "andromeda-1929" };
const ROUND = ["1.1", "7.1", "6.2"];
const GZ1_IDS = readFileSync(join(GZ1_DIR, "labels.csv"), "utf8").trim().split("\n").slice(1, 7).map((l) => l.split(",")[0]!);

let site: Site;
/** A volunteer with an identity, one galaxy classified and another handed to them. */
let volunteer: RawClient;
let classified: number;
let handed: number;
let researcher: RawClient;
const model = TEST_MODELS[0]!;
/** Folders of bad inputs for the CLI, outside the data directory. */
const inputs = mkdtempSync(join(tmpdir(), "hiwl-bad-input-"));

test.beforeAll(async () => {
  site = await startSite(async (db, dataDir) => {
    await insertGalaxies(
      db,
      GZ1_IDS.map((id) => ({ externalId: id, source: "gz1", imagePath: join(GZ1_DIR, "images", `${id}.jpg`), catalogLabel: "smooth" })),
    );
    await createResearcher(db, RESEARCHER.username, RESEARCHER.password);
    await writeTestModel(dataDir, model);
    const version = await createModelVersion(db, { version: model.version, path: modelDir(dataDir, model.version), config: {}, metrics: {} });
    await activateModelVersion(db, version.id);
  });
  researcher = new RawClient(site.url);
  expect((await researcher.mutate("auth.signIn", RESEARCHER)).status).toBe(200);
  volunteer = new RawClient(site.url);
  // One good classification first: the server then has everything it makes on first use.
  classified = (await volunteer.query("classification.next")).json.result.id as number;
  expect((await volunteer.mutate("classification.submit", walkInput(classified, ROUND, randomKey()))).status).toBe(200);
  handed = (await volunteer.query("classification.next")).json.result.id as number;
});

test.afterAll(async () => {
  await site.stop();
  rmSync(inputs, { recursive: true, force: true });
});

/**
 * Every table, row for row, read through a connection of its own; but RateLimit, which counts
 * requests, refused ones included (a flood of bad requests is still a flood).
 */
async function databaseSnapshot(): Promise<string> {
  const db: Db = site.db();
  try {
    const tables = await db.$queryRaw<{ name: string }[]>`
      SELECT "name" FROM "sqlite_master" WHERE "type" = 'table' AND "name" NOT LIKE 'sqlite_%' AND "name" <> 'RateLimit' ORDER BY "name"`;
    const dump: Record<string, unknown[]> = {};
    for (const { name } of tables) dump[name] = await db.$queryRawUnsafe(`SELECT * FROM "${name}" ORDER BY rowid`);
    return JSON.stringify(dump, (_, v) => (typeof v === "bigint" ? String(v) : v));
  } finally {
    await db.$disconnect();
  }
}

/** Every file and folder of the data directory with its size and time (the database file itself is compared by content). */
function dataDirSnapshot(dir = site.dataDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return [`${relative(site.dataDir, path)}/`, ...dataDirSnapshot(path)];
    if (/^hiwl\.db(-wal|-shm|-journal)?$/.test(entry.name)) return [];
    const { size, mtimeMs } = statSync(path);
    return [`${relative(site.dataDir, path)} ${size} ${mtimeMs}`];
  });
}

interface CliResult {
  code: number | null;
  stderr: string;
  stdout: string;
}

function hiwl(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HIWL, ...args], {
      cwd: repoRoot,
      env: { ...process.env, HIWL_DATA_DIR: site.dataDir, HIWL_RESEARCHER_PASSWORD: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // A command that should have refused its input but runs on (a worker) is stopped and fails.
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function expectCliError(args: string[], message: RegExp | string, env: Record<string, string> = {}) {
  const result = await hiwl(args, env);
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toMatch(typeof message === "string" ? new RegExp(escape(message)) : message);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function expectError(reply: Reply, status: number, message?: RegExp) {
  expect(reply.status, reply.text.slice(0, 500)).toBe(status);
  if (message) expect(reply.text).toMatch(message);
  // Whatever went wrong, the client never sees the server's insides.
  expect(reply.text).not.toMatch(/prisma|sqlite|node_modules|at async|\.ts:\d+/i);
}

const submit = (input: Record<string, unknown>) => volunteer.mutate("classification.submit", { ...walkInput(handed, ROUND, randomKey()), ...input });

/** A folder of images and a CSV of labels for `hiwl import catalog`; `rows` after the header. */
function catalogInput(name: string, rows: string[], images: Record<string, Buffer | string> = {}) {
  const dir = join(inputs, name);
  mkdirSync(join(dir, "images"), { recursive: true });
  writeFileSync(join(dir, "labels.csv"), ["objid,label", ...rows].join("\n") + "\n");
  for (const [file, content] of Object.entries(images)) {
    if (typeof content === "string") copyFileSync(content, join(dir, "images", file));
    else writeFileSync(join(dir, "images", file), content);
  }
  return ["import", "catalog", "--images", join(dir, "images"), "--labels", join(dir, "labels.csv"), "--id-column", "objid", "--label-column", "label", "--map", "elliptical=smooth"];
}

const realImage = (i: number) => join(GZ1_DIR, "images", `${GZ1_IDS[i]}.jpg`);

/** A Kaggle solutions file: the header and `rows` (each 38 fields). */
function kaggleInput(name: string, rows: string[]) {
  const dir = join(inputs, name);
  mkdirSync(join(dir, "images"), { recursive: true });
  copyFileSync(realImage(0), join(dir, "images", "100.jpg"));
  writeFileSync(join(dir, "solutions.csv"), [["GalaxyID", ...ANSWER_IDS.map(kaggleColumn)].join(","), ...rows].join("\n") + "\n");
  return ["import", "kaggle", "--solutions", join(dir, "solutions.csv"), "--images", join(dir, "images")];
}

/** Expert answers for `hiwl gold import`: the header and `rows`. */
function goldInput(name: string, rows: string[]) {
  const dir = join(inputs, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "experts.csv"), ["source,externalId,answers", ...rows].join("\n") + "\n");
  return ["gold", "import", join(dir, "experts.csv")];
}

/** A consistent Kaggle row: all smooth and round, nothing else asked. */
const roundRow = (id: string) => [id, ...ANSWER_IDS.map((a) => (["1.1", "7.1", "6.2"].includes(a) ? "1" : "0"))].join(",");

/** A copy of the test model with its weights file changed by `corrupt`, for `hiwl predict`. */
function brokenModel(name: string, corrupt: (dir: string) => void) {
  const dir = join(inputs, name);
  rmSync(dir, { recursive: true, force: true });
  copyDir(modelDir(site.dataDir, model.version), dir);
  corrupt(dir);
  const images = join(inputs, `${name}-images`);
  mkdirSync(images, { recursive: true });
  copyFileSync(realImage(1), join(images, "a.jpg"));
  const out = join(inputs, `${name}.csv`);
  return { args: ["predict", "--images", images, "--out", out, "--model", dir, "--backend", "cpu"], out };
}

function copyDir(from: string, to: string) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyDir(join(from, entry.name), join(to, entry.name));
    else copyFileSync(join(from, entry.name), join(to, entry.name));
  }
}

const weightsOf = (dir: string) => join(dir, "level1", "weights.bin");

export interface BadInput {
  area: "API" | "files" | "cookies" | "CLI" | "import";
  /** What is sent: also its row in docs/security.md. */
  name: string;
  run: () => Promise<void>;
}

export const CASES: BadInput[] = [
  // The API (tRPC over HTTP).
  { area: "API", name: "negative galaxy id", run: async () => expectError(await submit({ galaxyId: -3 }), 400, /galaxyId/) },
  { area: "API", name: "fractional galaxy id", run: async () => expectError(await submit({ galaxyId: 1.5 }), 400, /galaxyId/) },
  { area: "API", name: "huge galaxy id (2^53)", run: async () => expectError(await submit({ galaxyId: 2 ** 53 }), 400, /galaxyId/) },
  { area: "API", name: "galaxy id as a string", run: async () => expectError(await submit({ galaxyId: "7" }), 400, /galaxyId/) },
  { area: "API", name: "galaxy that does not exist", run: async () => expectError(await submit({ galaxyId: 987_654 }), 404, /galaxy 987654 does not exist/) },
  {
    area: "API",
    name: "galaxy never handed to this volunteer",
    run: async () => {
      const other = [1, 2, 3, 4, 5, 6].find((g) => g !== handed && g !== classified)!;
      expectError(await submit({ galaxyId: other }), 409, /was not handed to you/);
    },
  },
  { area: "API", name: "incomplete walk", run: async () => expectError(await submit({ answers: ["1.1", "7.1"] }), 400, /stops before question 6/) },
  { area: "API", name: "walk that goes on past an end", run: async () => expectError(await submit({ answers: [...ROUND, "8.1"] }), 400, /invalid classification/) },
  { area: "API", name: "walk that skips a question", run: async () => expectError(await submit({ answers: ["1.1", "6.2"] }), 400, /does not answer question 7/) },
  { area: "API", name: "unknown answer id", run: async () => expectError(await submit({ answers: ["1.9", "7.1", "6.2"] }), 400, /invalid classification/) },
  { area: "API", name: "too many answers (33)", run: async () => expectError(await submit({ answers: Array(33).fill("1.1") }), 400, /answers/) },
  { area: "API", name: "empty walk", run: async () => expectError(await submit({ answers: [] }), 400, /answers/) },
  { area: "API", name: "oversized answer string", run: async () => expectError(await submit({ answers: ["1".repeat(5000)] }), 400, /answers/) },
  {
    area: "API",
    name: "finishedAt in the future",
    run: async () => expectError(await submit({ startedAt: new Date("2099-01-01"), finishedAt: new Date("2099-01-01") }), 400, /finishedAt is in the future/),
  },
  {
    area: "API",
    name: "finishedAt before startedAt",
    run: async () => expectError(await submit({ startedAt: new Date(Date.now() - 1000), finishedAt: new Date(Date.now() - 60_000) }), 400, /finishedAt is before startedAt/),
  },
  { area: "API", name: "a date that is not a date", run: async () => expectError(await submit({ startedAt: "yesterday" }), 400, /startedAt/) },
  { area: "API", name: "idempotency key missing", run: async () => expectError(await submit({ idempotencyKey: undefined }), 400, /idempotencyKey/) },
  { area: "API", name: "idempotency key with bad characters", run: async () => expectError(await submit({ idempotencyKey: "../../etc/passwd/xxxxx" }), 400, /idempotencyKey/) },
  { area: "API", name: "galaxy.byId with id 0", run: async () => expectError(await volunteer.query("galaxy.byId", { id: 0 }), 400, /id/) },
  { area: "API", name: "gallery page 0", run: async () => expectError(await volunteer.query("galaxy.list", { page: 0 }), 400, /page/) },
  { area: "API", name: "gallery filter by an unknown class", run: async () => expectError(await volunteer.query("galaxy.list", { consensus: "banana" }), 400, /consensus/) },
  { area: "API", name: "display name of 41 characters", run: async () => expectError(await volunteer.mutate("volunteer.setDisplayName", { name: "n".repeat(41) }), 400, /name/) },
  { area: "API", name: "display name with control characters", run: async () => expectError(await volunteer.mutate("volunteer.setDisplayName", { name: "Eve\u0000\u202e" }), 400, /name/) },
  { area: "API", name: "sign-in with a 257-character password", run: async () => expectError(await new RawClient(site.url).mutate("auth.signIn", { username: "x", password: "p".repeat(257) }), 400, /password/) },
  { area: "API", name: "unknown procedure", run: async () => expectError(await volunteer.query("galaxy.dropTables"), 404) },
  { area: "API", name: "a mutation sent as GET", run: async () => expectError(await volunteer.query("classification.submit", walkInput(handed, ROUND, randomKey())), 405) },
  {
    area: "API",
    name: "malformed JSON body",
    run: async () =>
      expectError(await volunteer.send("/api/trpc/classification.submit", { method: "POST", headers: { "content-type": "application/json" }, body: "{\"json\": [" }), 400),
  },
  {
    area: "API",
    name: "prototype pollution in the superjson envelope",
    run: async () => {
      const body = JSON.stringify({ json: { __proto__: { admin: true }, constructor: { prototype: { admin: true } } }, meta: { values: { "__proto__.admin": ["Date"] } } });
      const reply = await volunteer.send("/api/trpc/volunteer.setDisplayName", { method: "POST", headers: { "content-type": "application/json" }, body });
      expectError(reply, 400);
    },
  },
  {
    area: "API",
    name: "body over 64 KiB",
    run: async () => expectError(await volunteer.mutate("volunteer.setDisplayName", { name: "x".repeat(70_000) }), 413, /PAYLOAD_TOO_LARGE/),
  },
  {
    area: "API",
    name: "batch of 11 calls",
    run: async () => expectError(await volunteer.send(`/api/trpc/${Array(11).fill("training.activeModel").join(",")}?batch=1&input=%7B%7D`), 400),
  },
  {
    area: "API",
    name: "form post (multipart) to a mutation",
    run: async () => {
      const form = new FormData();
      form.set("name", "Mallory");
      expectError(await volunteer.send("/api/trpc/volunteer.setDisplayName", { method: "POST", body: form }), 415);
    },
  },
  { area: "API", name: "mutation from a foreign Origin", run: async () => expectError(await researcher.mutate("training.retrain", undefined, { origin: "https://evil.example" }), 403) },
  {
    area: "API",
    name: "researcher procedure with a volunteer's cookie",
    run: async () => expectError(await volunteer.mutate("training.retrain", undefined), 401, /Sign in as a researcher/),
  },
  {
    area: "API",
    name: "gold standard marked with a volunteer's cookie",
    run: async () => expectError(await volunteer.mutate("gold.mark", { galaxyId: handed, answers: ROUND }), 401, /Sign in as a researcher/),
  },
  {
    area: "API",
    name: "gold standard that is not a walk of the tree",
    run: async () => expectError(await researcher.mutate("gold.mark", { galaxyId: handed, answers: ["1.1", "7.1"] }), 400, /not a walk of the tree/),
  },
  {
    area: "API",
    name: "gold standard of an unknown galaxy",
    run: async () => expectError(await researcher.mutate("gold.mark", { galaxyId: 999_999, answers: ROUND }), 404, /galaxy 999999 does not exist/),
  },
  // The file routes.
  ...["abc", "-1", "0", "1.5", "1e3", "99999999999999999999", "%00"].map(
    (id): BadInput => ({
      area: "files",
      name: `image of galaxy "${id}"`,
      run: async () => expectError(await volunteer.send(`/api/galaxies/${id}/image`), 404),
    }),
  ),
  ...[
    `${model.version}/..%2F..%2Fhiwl.db`,
    `${model.version}/%2E%2E/%2E%2E/secret.key`,
    `${model.version}/level1%00.json`,
    `${model.version}/..%5C..%5Chiwl.db`,
    `no-such-version/metadata.json`,
    `${model.version}/run.json.bak`,
  ].map(
    (path): BadInput => ({
      area: "files",
      name: `model file ${decodeURIComponent(path.replace(/%00/g, "\\0"))}`,
      run: async () => expectError(await volunteer.send(`/api/models/${path}`), 404),
    }),
  ),
  { area: "files", name: "votes export without a session", run: async () => expectError(await new RawClient(site.url).send("/api/export/votes.csv"), 401) },
  { area: "API", name: "health of a part that cannot be asked for alone", run: async () => expectError(await volunteer.send("/api/health?only=model"), 400, /only=model: the one check that can be asked for alone is 'database'/) },
  // Cookies.
  {
    area: "cookies",
    name: "volunteer cookie with bad percent-encoding",
    run: async () => {
      const reply = await new RawClient(site.url).send("/api/trpc/classification.history?input=%7B%22json%22%3A%7B%7D%7D", { headers: { cookie: "hiwl_volunteer=%E0%A4%A" } });
      expect(reply.status).toBe(200);
      expect(reply.json.result.items).toEqual([]);
    },
  },
  {
    area: "cookies",
    name: "volunteer cookie that is not a UUID",
    run: async () => {
      const reply = await new RawClient(site.url).send("/api/trpc/classification.history?input=%7B%22json%22%3A%7B%7D%7D", { headers: { cookie: "hiwl_volunteer=../../admin" } });
      expect(reply.json.result.items).toEqual([]);
      expectError(await new RawClient(site.url).mutate("classification.submit", walkInput(handed, ROUND, randomKey()), { cookie: "hiwl_volunteer=../../admin" }), 401);
    },
  },
  {
    area: "cookies",
    name: "forged session token",
    run: async () => expectError(await new RawClient(site.url).query("training.jobs", undefined, { cookie: "hiwl_session=forged-token" }), 401),
  },
  {
    area: "cookies",
    name: "oversized session cookie (5,000 bytes)",
    run: async () => {
      const reply = await new RawClient(site.url).query("auth.me", undefined, { cookie: `hiwl_session=${"a".repeat(5000)}` });
      expect(reply.status).toBe(200);
      expect(reply.json.result).toBeNull();
    },
  },
  // The CLI.
  { area: "CLI", name: "hiwl db backup onto the live database", run: () => expectCliError(["db", "backup", join(site.dataDir, "hiwl.db")], "is the live database itself: name another file") },
  { area: "CLI", name: "hiwl db backup into a missing folder", run: () => expectCliError(["db", "backup", join(site.dataDir, "no-such-folder", "copy.db")], /no folder .*no-such-folder for the copy/) },
  { area: "CLI", name: "hiwl seed synthetic --count abc", run: () => expectCliError(["seed", "synthetic", "--count", "abc"], '--count must be a non-negative integer, got "abc"') },
  { area: "CLI", name: "hiwl train --epochs 0", run: () => expectCliError(["train", "--epochs", "0"], '--epochs must be an integer >= 1, got "0"') },
  { area: "CLI", name: "hiwl train --lr abc", run: () => expectCliError(["train", "--lr", "abc"], '--lr must be a positive number, got "abc"') },
  { area: "CLI", name: "hiwl train --weight-decay NaN", run: () => expectCliError(["train", "--weight-decay", "NaN"], '--weight-decay must be a number >= 0, got "NaN"') },
  { area: "CLI", name: "hiwl researcher add with a 5-character password", run: () => expectCliError(["researcher", "add", "newton"], /at least 10 characters/, { HIWL_RESEARCHER_PASSWORD: "apple" }) },
  { area: "CLI", name: "hiwl volunteer delete of an unknown id", run: () => expectCliError(["volunteer", "delete", "nobody"], "volunteer nobody does not exist") },
  { area: "CLI", name: "HIWL_RETIREMENT that is not JSON", run: () => expectCliError(["watch", "--every", "0"], "HIWL_RETIREMENT is not JSON", { HIWL_RETIREMENT: "{count: 3}" }) },
  {
    area: "CLI",
    name: "model whose weights file is truncated",
    run: async () => {
      const { args, out } = brokenModel("truncated", (dir) => writeFileSync(weightsOf(dir), readFileSync(weightsOf(dir)).subarray(0, 1000)));
      await expectCliError(args, /weights/i);
      expect(() => statSync(out)).toThrow();
    },
  },
  {
    area: "CLI",
    name: "model whose weights are NaN",
    run: async () => {
      const { args, out } = brokenModel("nan", (dir) => {
        const weights = new Float32Array(readFileSync(weightsOf(dir)).buffer.slice(0));
        weights.fill(Number.NaN);
        writeFileSync(weightsOf(dir), Buffer.from(weights.buffer));
      });
      await expectCliError(args, /not finite|non-finite/);
      expect(() => statSync(out)).toThrow();
    },
  },
  {
    area: "CLI",
    name: "model whose model.json is cut short",
    run: async () => {
      const { args } = brokenModel("json", (dir) => writeFileSync(join(dir, "level1", "model.json"), '{"format": "layers-model", "modelTopology": {'));
      await expectCliError(args, /model\.json/);
    },
  },
  // The importers.
  { area: "import", name: "catalogue CSV without the id column", run: () => expectCliError(catalogInput("no-id", ["x,elliptical"]).map((a) => (a === "objid" ? "id" : a)), 'line 1: no column "id"') },
  {
    area: "import",
    name: "catalogue row with a path in its id",
    run: () => expectCliError(catalogInput("path-id", ["../../etc/passwd,elliptical"]), /line 2: objid "\.\.\/\.\.\/etc\/passwd" is empty or has characters/),
  },
  {
    area: "import",
    name: "catalogue id on two lines",
    run: () => expectCliError(catalogInput("twice", ["a,elliptical", "a,elliptical"], { "a.jpg": realImage(2) }), "line 3: objid a already appears on line 2"),
  },
  { area: "import", name: "catalogue row without its image", run: () => expectCliError(catalogInput("no-image", ["ghost,elliptical"]), "line 2: no image ghost.jpg") },
  {
    area: "import",
    name: "catalogue image that is not an image",
    run: () => expectCliError(catalogInput("corrupt", ["bad,elliptical"], { "bad.jpg": readFileSync(realImage(3)).subarray(0, 300) }), /corrupt or unreadable image .*bad\.jpg/),
  },
  { area: "import", name: "label mapped to an unknown class", run: () => expectCliError([...catalogInput("map", ["a,elliptical"], { "a.jpg": realImage(2) }), "--map", "spiral=galaxy"], '--map spiral=galaxy: "galaxy" is not one of') },
  { area: "import", name: "Kaggle fraction that is not a number", run: () => expectCliError(kaggleInput("nan", [roundRow("100").replace(/,1,/, ",NaN,")]), /line 2: Class\d+\.\d+ "NaN" is not a number/) },
  { area: "import", name: "Kaggle row whose fractions contradict the tree", run: () => expectCliError(kaggleInput("tree", [roundRow("100").replace(/^100,1,/, "100,0.5,")]), /line 2 \(GalaxyID 100\)/) },
  {
    area: "import",
    name: "gold answers that stop mid-tree",
    run: () => expectCliError(goldInput("short-walk", [`gz1,${GZ1_IDS[0]},1.2 2.2`]), "line 2: answers: the classification stops before question 3 is answered"),
  },
  { area: "import", name: "gold answers for a galaxy not in the catalogue", run: () => expectCliError(goldInput("unknown", ["gz1,42,1.3"]), 'line 2: no galaxy 42 of source "gz1"') },
  { area: "import", name: "Kaggle row with a missing field", run: () => expectCliError(kaggleInput("short", [roundRow("100").replace(/,0$/, "")]), "line 2: 37 fields, expected 38") },
];

for (const c of CASES) {
  test(`${c.area}: ${c.name} is refused and changes nothing`, async () => {
    const [db, files] = [await databaseSnapshot(), dataDirSnapshot()];
    await c.run();
    expect(dataDirSnapshot()).toEqual(files);
    expect(await databaseSnapshot()).toBe(db);
  });
}

test("docs/security.md lists every bad-input case", () => {
  const docs = readFileSync(join(repoRoot, "docs/security.md"), "utf8");
  expect(CASES.length).toBeGreaterThanOrEqual(40);
  const missing = CASES.filter((c) => !docs.includes(`| ${c.area} | ${c.name} |`)).map((c) => `| ${c.area} | ${c.name} |`);
  expect(missing).toEqual([]);
});
