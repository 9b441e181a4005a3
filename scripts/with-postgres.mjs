#!/usr/bin/env node
// Runs a command with a PostgreSQL server of its own: `node scripts/with-postgres.mjs CMD ARGS...`.
// `npm test` runs the test suites this way, so the database tests and the load test run on
// PostgreSQL as well as SQLite. The server is a throwaway cluster (Debian's postgresql
// package, trust authentication, loopback only, fsync off: test data need not survive a
// power cut) in a temporary folder, stopped and removed when the command ends. The command
// finds it in HIWL_SCRATCH_POSTGRES_URL, a superuser URL: each test file creates its own
// database there. With HIWL_SCRATCH_POSTGRES_URL already set, that server is used instead.
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin), or null. */
export function postgresBin() {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0], "bin") : null;
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Runs a PostgreSQL tool; as root, as the postgres user (the server refuses to run as root). */
function tool(bin, name, args) {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, name), ...args]] : [join(bin, name), args];
  const result = spawnSync(command, argv, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${name} ${args.join(" ")} failed: ${result.stderr || result.stdout || result.error?.message}`);
}

/** Starts a throwaway cluster; returns its superuser URL and how to stop it. */
export async function startPostgres() {
  const bin = postgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed: `apt-get install postgresql` (scripts/system-deps.mjs does it as root)");
  const dir = mkdtempSync(join(tmpdir(), "hiwl-postgres-"));
  if (process.getuid?.() === 0) chownSync(dir, ...postgresIds());
  const data = join(dir, "data");
  const port = await freePort();
  tool(bin, "initdb", ["-D", data, "-U", "hiwl", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  tool(bin, "pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "server.log"), "-w", "start"]);
  return {
    url: `postgresql://hiwl@127.0.0.1:${port}/postgres`,
    dir,
    /** pg_ctl with the cluster's folder (restart, stop, ...), for tests that take the server away. */
    control: (...args) => tool(bin, "pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "server.log"), "-w", ...args]),
    stop() {
      try {
        tool(bin, "pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function postgresIds() {
  const id = (flag) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  return [id("-u"), id("-g")];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error("usage: node scripts/with-postgres.mjs COMMAND [ARGS...]");
    process.exit(2);
  }
  let server = null;
  if (!process.env.HIWL_SCRATCH_POSTGRES_URL) {
    server = await startPostgres();
    console.log(`PostgreSQL for the tests: ${server.url} (${server.dir}, removed at the end)`);
  }
  const child = spawn(command, args, {
    stdio: "inherit",
    env: { ...process.env, HIWL_SCRATCH_POSTGRES_URL: process.env.HIWL_SCRATCH_POSTGRES_URL ?? server.url },
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    server?.stop();
    process.exit(code ?? (signal ? 1 : 0));
  });
}
