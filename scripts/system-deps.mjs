#!/usr/bin/env node
// The system packages the tests need, installed where they are missing: `npm test` and
// `.ci/run` run this first. As root with apt (CI, a fresh container) it installs them;
// otherwise it stops with the exact command to run. Browsers cannot be downloaded here, so
// Playwright drives Debian's Chromium.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** What the tests need: a command that must exist, and the Debian package that provides it. */
const NEEDS = [{ command: "chromium", path: "/usr/bin/chromium", pkg: "chromium", why: "the end-to-end tests (Playwright)" }];

const missing = NEEDS.filter((n) => !existsSync(n.path));
if (missing.length === 0) process.exit(0);

const packages = missing.map((n) => n.pkg);
const command = `apt-get install -y ${packages.join(" ")}`;
const isRoot = process.getuid?.() === 0;
const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
if (!isRoot || !hasApt) {
  for (const n of missing) console.error(`missing: ${n.command} (for ${n.why})`);
  console.error(hasApt ? `install it with: sudo ${command}` : `install the package(s) ${packages.join(", ")} with your system's package manager`);
  process.exit(1);
}

console.log(`installing ${packages.join(", ")} for the tests (${command})`);
const run = (args) => spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
if (!run(["update", "-qq"]) || !run(["install", "-y", "-qq", ...packages])) {
  console.error(`could not install ${packages.join(", ")}: run \`${command}\` and try again`);
  process.exit(1);
}
const still = missing.filter((n) => !existsSync(n.path));
if (still.length > 0) {
  console.error(`installed, but still missing: ${still.map((n) => n.path).join(", ")}`);
  process.exit(1);
}
