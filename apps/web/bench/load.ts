/**
 * `npm run bench:load`: the site under simulated volunteers over real HTTP. It renders a
 * synthetic catalogue into a fresh data directory, starts N production servers on it
 * (server.mjs after `next build`) and the training worker (`hiwl watch`, training and scoring
 * while the votes arrive), then drives V volunteers for D seconds, each with cookies of its
 * own, as the classify page does: load the galaxy's image, submit a valid walk of the tree,
 * whose answer names the next galaxy (classification.next is asked for the first one and
 * after a refused submission), and now and then submit the same walk again (a retry after a
 * lost answer: it must be answered with the first classification). Afterwards it checks
 * every acknowledged classification against the database: none lost, none stored twice,
 * every galaxy's tallies equal to its classifications.
 *
 *   npm run bench:load -- --servers 2 --volunteers 20 --seconds 30 [--database postgresql] [--json]
 *
 * With --database postgresql the servers and the worker share a scratch database on the
 * PostgreSQL server in HIWL_SCRATCH_POSTGRES_URL (the root `npm run bench:load` starts a
 * throwaway one: scripts/with-postgres.mjs), dropped afterwards; the galaxy images stay in the
 * run's data directory, as they would in a shared data directory.
 *
 * All volunteers come from this machine's one address, so the per-address limits (new
 * identities, counted votes per galaxy) and the per-volunteer pace are lifted for the run
 * (HIWL_LIMITS); everything else is the production configuration.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { seedSynthetic } from "@hiwl/catalog";
import { checkTallies, createDb, createScratchDatabase, dropScratchDatabase, type Provider } from "@hiwl/db";
import { createRng, getQuestion, ROOT_QUESTION, type QuestionId, type Rng } from "@hiwl/model";
import { prepareDatabase, RawClient, randomKey, startServer, walkInput, type Reply, type Server } from "../e2e/site.ts";

const WEB_DIR = fileURLToPath(new URL("..", import.meta.url));
const HIWL = fileURLToPath(new URL("../../trainer/bin/hiwl.mjs", import.meta.url));

/** One address plays every volunteer: its limits are those of a crowd, not of one person. */
const LOAD_LIMITS = {
  votesPerAddress: 1_000_000,
  identities: { burst: 1_000_000, perMinute: 1_000_000 },
  submissions: { burst: 1_000_000, perMinute: 1_000_000 },
};

export interface LoadOptions {
  servers: number;
  /** Default sqlite. */
  database?: Provider;
  volunteers: number;
  seconds: number;
  galaxies: number;
  /** Share of acknowledged submissions sent again with the same idempotency key. */
  retryRate: number;
  /** Run the training worker beside the servers. */
  worker: boolean;
  /** The worker's `--nice` (default: its own, the lowest priority). */
  workerNice?: number;
  log?: (line: string) => void;
}

type Kind = "next" | "image" | "submit" | "retry";

export interface LoadResult {
  servers: number;
  database: Provider;
  volunteers: number;
  seconds: number;
  classifications: number;
  classificationsPerSec: number;
  /** Over every request of every kind. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  byKind: Record<Kind, { requests: number; p50Ms: number; p95Ms: number; p99Ms: number }>;
  errors5xx: number;
  /** The first few 5xx answers ("kind status body") and what the servers printed about them. */
  errors5xxDetail: string[];
  /** Answers other than 200 and 5xx (429, 409, ...), by "kind status". */
  otherErrors: Record<string, number>;
  /** Acknowledged classifications the database does not have. */
  lost: number;
  /** Rows stored beyond the acknowledged classifications, plus retries answered with another id. */
  duplicated: number;
  tallyMismatches: number;
  retries: number;
  /**
   * The servers' answer rate, before the run, for the cheapest request that reaches the
   * database (`/api/health?only=database`: one trivial query) from the same V clients: the
   * framework's and the database client's floor. A classification takes two requests
   * (image, submission) and the odd retry or classification.next: `requestsPerClassification`.
   */
  floorRequestsPerSec: number;
  requestsPerClassification: number;
  /** What the worker did meanwhile: model versions registered, predictions stored. */
  worker: { modelVersions: number; predictions: number; jobs: string[] } | null;
}

/** A walk of the tree with an answer drawn at random at each question: always valid. */
function randomWalk(rng: Rng): string[] {
  const answers: string[] = [];
  let current: QuestionId | null = ROOT_QUESTION;
  while (current !== null) {
    const { answers: choices } = getQuestion(current);
    const chosen = choices[Math.floor(rng() * choices.length)]!;
    answers.push(chosen.id);
    current = chosen.next;
  }
  return answers;
}

/** What classification.submit answers (its other fields do not matter here). */
const submitted = (reply: Reply) =>
  (reply.json as { result: { classificationId: number; duplicate: boolean; next: { id: number } | null } }).result;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
}

function spread(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { requests: sorted.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), p99Ms: percentile(sorted, 99) };
}

/** The training worker (`hiwl watch`, small) on the run's database; returns how to stop it and wait for its exit. */
function startWorker(env: NodeJS.ProcessEnv, nice: number | undefined): () => Promise<void> {
  const args = ["watch", "--every", "300", "--variant", "nano", "--input-size", "32", "--epochs", "2", "--poll", "1", "--worker-id", "load"];
  if (nice !== undefined) args.push("--nice", String(nice));
  const child = spawn(process.execPath, [HIWL, ...args], { cwd: WEB_DIR, env, stdio: "ignore" });
  const exited = once(child, "exit");
  return async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
}

/** Requests per second the servers answer for /api/health?only=database from `clients` clients in 3 s. */
async function floorRate(urls: readonly string[], clients: number): Promise<number> {
  let answered = 0;
  const start = performance.now();
  const end = start + 3000;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (performance.now() < end) {
        const response = await fetch(`${urls[i % urls.length]}/api/health?only=database`);
        await response.arrayBuffer();
        answered++;
      }
    }),
  );
  return Math.round(answered / ((performance.now() - start) / 1000));
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => {});
  const database = options.database ?? "sqlite";
  const dataDir = mkdtempSync(join(tmpdir(), "hiwl-load-"));
  const url = database === "postgresql" ? await createScratchDatabase() : "";
  const servers: Server[] = [];
  let stopWorker: (() => Promise<void>) | null = null;
  const stopAll = async () => {
    await stopWorker?.();
    for (const server of servers) await server.signal("SIGTERM");
  };
  try {
    log(`rendering ${options.galaxies} synthetic galaxies into ${dataDir}`);
    await prepareDatabase(dataDir, url, (db) => seedSynthetic(db, { count: options.galaxies }, dataDir));
    const env = { HIWL_LIMITS: JSON.stringify(LOAD_LIMITS), HIWL_REQUEST_LOG: "off", DATABASE_URL: url };
    for (let i = 0; i < options.servers; i++) servers.push(await startServer(dataDir, env));
    const urls = servers.map((server) => server.url);
    log(`${options.servers} server(s) on ${urls.join(", ")}, ${database === "postgresql" ? "PostgreSQL" : "SQLite"}`);
    if (options.worker) stopWorker = startWorker({ ...process.env, HIWL_DATA_DIR: dataDir, ...env }, options.workerNice);

    const floorRequestsPerSec = await floorRate(urls, options.volunteers);
    log(`floor: ${floorRequestsPerSec} requests/s for /api/health?only=database`);
    const latencies: Record<Kind, number[]> = { next: [], image: [], submit: [], retry: [] };
    const otherErrors: Record<string, number> = {};
    let errors5xx = 0;
    const errors5xxDetail: string[] = [];
    let retries = 0;
    let retryMismatches = 0;
    const acknowledged = new Set<number>();
    const record = (kind: Kind, started: number, status: number, body = "") => {
      latencies[kind].push(performance.now() - started);
      if (status >= 500 && errors5xx++ < 5) errors5xxDetail.push(`${kind} ${status} ${body.slice(0, 300)}`);
      else if (status !== 200) otherErrors[`${kind} ${status}`] = (otherErrors[`${kind} ${status}`] ?? 0) + 1;
    };

    const start = performance.now();
    const end = start + options.seconds * 1000;
    const volunteer = async (index: number) => {
      const rng = createRng(`load-volunteer-${index}`);
      const url = urls[index % urls.length]!;
      const client = new RawClient(url);
      // As the page does: the next galaxy comes with the answer to a stored classification;
      // classification.next is asked for the first, and after a refused submission.
      let handedOut: number | null | undefined;
      while (performance.now() < end) {
        let t = performance.now();
        if (handedOut === undefined) {
          const next = await client.query("classification.next");
          record("next", t, next.status, next.text);
          if (next.status !== 200) continue;
          handedOut = (next.json as { result: { id: number } | null }).result?.id ?? null;
        }
        if (handedOut === null) return; // nothing left for this volunteer
        const id = handedOut;
        handedOut = undefined;
        t = performance.now();
        const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
        const image = await fetch(`${url}/api/galaxies/${id}/image`, { headers: { cookie } });
        const bytes = await image.arrayBuffer();
        record("image", t, image.status, image.ok ? "" : Buffer.from(bytes).toString());
        const input = walkInput(id, randomWalk(rng), randomKey());
        t = performance.now();
        const vote = await client.mutate("classification.submit", input);
        record("submit", t, vote.status, vote.text);
        if (vote.status !== 200) continue;
        const { classificationId, next } = submitted(vote);
        handedOut = next?.id ?? null;
        acknowledged.add(classificationId);
        if (rng() < options.retryRate) {
          retries++;
          t = performance.now();
          const again = await client.mutate("classification.submit", input);
          record("retry", t, again.status, again.text);
          if (again.status === 200 && (submitted(again).classificationId !== classificationId || !submitted(again).duplicate)) retryMismatches++;
        }
      }
    };
    await Promise.all(Array.from({ length: options.volunteers }, (_, i) => volunteer(i)));
    const seconds = (performance.now() - start) / 1000;
    await stopAll();
    // What the servers printed about their faults (their request log is off).
    if (errors5xx > 0) errors5xxDetail.push(...servers.flatMap((s) => s.log().split("\n").filter((line) => /error/i.test(line))).slice(0, 20));

    const db = createDb({ dataDir, url });
    try {
      const stored = new Set((await db.classification.findMany({ select: { id: true } })).map((c) => c.id));
      const lost = [...acknowledged].filter((id) => !stored.has(id)).length;
      const extra = [...stored].filter((id) => !acknowledged.has(id)).length;
      const all = Object.values(latencies).flat();
      const jobs = await db.trainingJob.findMany({ orderBy: { id: "asc" }, select: { id: true, status: true, error: true } });
      return {
        servers: options.servers,
        database,
        volunteers: options.volunteers,
        seconds: Math.round(seconds * 10) / 10,
        classifications: acknowledged.size,
        classificationsPerSec: Math.round((acknowledged.size / seconds) * 10) / 10,
        ...(({ p50Ms, p95Ms, p99Ms }) => ({ p50Ms, p95Ms, p99Ms }))(spread(all)),
        byKind: { next: spread(latencies.next), image: spread(latencies.image), submit: spread(latencies.submit), retry: spread(latencies.retry) },
        errors5xx,
        errors5xxDetail,
        otherErrors,
        lost,
        duplicated: extra + retryMismatches,
        tallyMismatches: (await checkTallies(db)).length,
        retries,
        floorRequestsPerSec,
        requestsPerClassification: Math.round((all.length / Math.max(1, acknowledged.size)) * 100) / 100,
        worker: options.worker
          ? { modelVersions: await db.modelVersion.count(), predictions: await db.prediction.count(), jobs: jobs.map((j) => `${j.id} ${j.status}${j.error ? ` (${j.error.split("\n")[0]!.slice(0, 200)})` : ""}`) }
          : null,
      };
    } finally {
      await db.$disconnect();
    }
  } finally {
    await stopAll();
    if (url) await dropScratchDatabase(url);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function formatResult(r: LoadResult): string {
  const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [
    `machine: ${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${availableParallelism()} cores, Node ${process.version}; ${r.database === "postgresql" ? "PostgreSQL" : "SQLite"}`,
    `${r.servers} server(s), ${r.volunteers} volunteers, ${r.seconds} s${r.worker ? ", the training worker running" : ""}`,
    "",
    row(["classifications", "per second", "p50 ms", "p95 ms", "p99 ms", "5xx", "lost", "duplicated", "tally mismatches", "retries"]),
    row(Array<string>(10).fill("---")),
    row([r.classifications, r.classificationsPerSec, r.p50Ms, r.p95Ms, r.p99Ms, r.errors5xx, r.lost, r.duplicated, r.tallyMismatches, r.retries]),
    "",
    row(["request", "count", "p50 ms", "p95 ms", "p99 ms"]),
    row(Array<string>(5).fill("---")),
    ...(Object.entries(r.byKind) as [Kind, LoadResult["byKind"][Kind]][]).map(([kind, s]) => row([kind, s.requests, s.p50Ms, s.p95Ms, s.p99Ms])),
    "",
    `other answers: ${Object.keys(r.otherErrors).length ? JSON.stringify(r.otherErrors) : "none"}`,
    `floor: the server(s) answered ${r.floorRequestsPerSec} requests/s for /api/health?only=database (one trivial query) before the run: at most ${Math.round(r.floorRequestsPerSec / r.requestsPerClassification)} classifications/s at the run's ${r.requestsPerClassification} requests each`,
    r.worker ? `worker meanwhile: ${r.worker.modelVersions} model version(s), ${r.worker.predictions} predictions stored, jobs ${r.worker.jobs.join(", ") || "none"}` : "",
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      servers: { type: "string", default: "1" },
      volunteers: { type: "string", default: "20" },
      seconds: { type: "string", default: "30" },
      galaxies: { type: "string", default: "1000" },
      "retry-rate": { type: "string", default: "0.05" },
      worker: { type: "string", default: "on" },
      "worker-nice": { type: "string" },
      database: { type: "string", default: "sqlite" },
      json: { type: "boolean", default: false },
    },
  });
  const integer = (name: string, value: string, min = 1) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be ${min === 1 ? "a positive integer" : `an integer >= ${min}`}, got "${value}"`);
    return n;
  };
  if (values.database !== "sqlite" && values.database !== "postgresql") throw new Error(`--database must be sqlite or postgresql, got "${values.database}"`);
  if (values.worker !== "on" && values.worker !== "off") throw new Error(`--worker must be on or off, got "${values.worker}"`);
  const retryRate = Number(values["retry-rate"]);
  if (!(retryRate >= 0 && retryRate <= 1)) throw new Error(`--retry-rate must be between 0 and 1, got "${values["retry-rate"]}"`);
  const result = await runLoad({
    servers: integer("servers", values.servers),
    database: values.database,
    volunteers: integer("volunteers", values.volunteers),
    seconds: integer("seconds", values.seconds),
    galaxies: integer("galaxies", values.galaxies),
    retryRate,
    worker: values.worker === "on",
    workerNice: values["worker-nice"] === undefined ? undefined : integer("worker-nice", values["worker-nice"], 0),
    log: values.json ? undefined : (line) => console.log(line),
  });
  console.log(values.json ? JSON.stringify(result) : formatResult(result));
}
