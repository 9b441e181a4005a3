#!/usr/bin/env node
// `npm start`: migrate, seed the embedded default catalogue if the database is empty, build
// the site, then serve it on $PORT (3000) beside the training worker (`hiwl watch`). Ctrl-C
// stops everything it started.
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const hiwl = join(root, "apps/trainer/bin/hiwl.mjs");
const env = { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() };

function step(title, command, args, cwd = root) {
  console.log(`\n▶ ${title}`);
  const result = spawnSync(command, args, { cwd, env, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

step("Applying database migrations", process.execPath, [hiwl, "db", "migrate"]);
step("Seeding the default catalogue (skipped when galaxies exist)", process.execPath, [hiwl, "seed", "default"]);
step("Building the site", "npx", ["turbo", "run", "build", "--filter=@hiwl/web"]);

const port = process.env.PORT ?? "3000";
const children = [
  spawn(process.execPath, ["server.mjs"], { cwd: join(root, "apps/web"), env: { ...env, PORT: port }, stdio: "inherit" }),
  // Spawned directly (not through npx) so that SIGTERM reaches the worker, which fails its
  // current job with a clear error instead of leaving it running.
  spawn(process.execPath, [hiwl, "watch"], { cwd: root, env, stdio: "inherit" }),
];
console.log(`\n✔ HIWL is running on http://localhost:${port} with the training worker (Ctrl-C to stop)`);

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exitCode = code;
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
for (const child of children) {
  child.on("exit", (code) => {
    if (!stopping) {
      console.error(`a service exited (code ${code}); stopping the others`);
      stop(code ?? 1);
    }
  });
}
