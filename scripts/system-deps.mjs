#!/usr/bin/env node
// The system packages the tests need, installed where they are missing: `npm test` and
// `.ci/run` run this first. As root with apt (CI, a fresh container) it installs them;
// otherwise it stops with the exact commands to run. Browsers cannot be downloaded here, so
// Playwright drives Debian's Chromium; the training benchmark's peer is Debian's PyTorch;
// WebGPU kernels are tested on Mesa's lavapipe, which gives Dawn a software adapter from
// Mesa 25 on (Debian bookworm's 22.3 gives none, so on bookworm it comes from
// bookworm-backports). The database tests run on PostgreSQL too: Debian's server, started by
// scripts/with-postgres.mjs on a throwaway cluster.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { postgresBin } from "./with-postgres.mjs";

const SOURCES = "/etc/apt/sources.list.d/debian.sources";
const codename = /^VERSION_CODENAME=(.*)$/m.exec(existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "")?.[1];

/** The installed version's major number of a Debian package, or null when it is not installed. */
function installedMajor(pkg) {
  const query = spawnSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" });
  return query.status === 0 && query.stdout ? Number.parseInt(query.stdout, 10) : null;
}

/** What the tests need: how to tell it is there, and the Debian packages that provide it. */
const NEEDS = [
  { what: "chromium", why: "the end-to-end tests (Playwright)", present: () => existsSync("/usr/bin/chromium"), pkgs: ["chromium"] },
  {
    what: "PyTorch with torchvision (Debian's)",
    why: "the comparison of `hiwl bench train --compare-pytorch`",
    present: () => ["torch", "torchvision"].every((m) => existsSync(`/usr/lib/python3/dist-packages/${m}/__init__.py`)),
    pkgs: ["python3-torch", "python3-torchvision"],
  },
  {
    what: "Mesa's lavapipe 25+ (mesa-vulkan-drivers)",
    why: "the WebGPU kernel tests (packages/tfjs)",
    present: () => existsSync("/usr/share/vulkan/icd.d/lvp_icd.json") && (installedMajor("mesa-vulkan-drivers") ?? 0) >= 25,
    pkgs: ["mesa-vulkan-drivers", "libvulkan1"],
    suite: codename === "bookworm" ? "bookworm-backports" : undefined,
  },
  {
    what: "PostgreSQL (Debian's server)",
    why: "the database tests and bench:load on PostgreSQL",
    present: () => postgresBin() !== null,
    pkgs: ["postgresql"],
  },
];

const missing = NEEDS.filter((n) => !n.present());
if (missing.length === 0) process.exit(0);

const commandFor = (n) => `apt-get install -y${n.suite ? ` -t ${n.suite}` : ""} ${n.pkgs.join(" ")}`;
const isRoot = process.getuid?.() === 0;
const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
if (!isRoot || !hasApt) {
  for (const n of missing) {
    console.error(`missing: ${n.what} (for ${n.why})`);
    if (hasApt) console.error(`  install it with: sudo ${commandFor(n)}${n.suite ? ` (after adding ${n.suite} to apt's sources)` : ""}`);
    else console.error(`  install the package(s) ${n.pkgs.join(", ")} with your system's package manager`);
  }
  process.exit(1);
}

/** Adds a suite to the Debian sources (deb822 format, as Debian 12 ships them). */
function enableSuite(suite) {
  const sources = existsSync(SOURCES) ? readFileSync(SOURCES, "utf8") : "";
  if (new RegExp(`^Suites:.*\\b${suite}\\b`, "m").test(sources)) return true;
  const updated = sources.replace(/^(Suites: .*\bbookworm\b.*)$/m, `$1 ${suite}`);
  if (updated === sources) return false;
  console.log(`adding ${suite} to ${SOURCES}`);
  writeFileSync(SOURCES, updated);
  return true;
}

const run = (args) => spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
for (const suite of new Set(missing.map((n) => n.suite).filter(Boolean))) {
  if (!enableSuite(suite)) {
    console.error(`could not add ${suite} to ${SOURCES}: add it and run \`${missing.map(commandFor).join(" && ")}\``);
    process.exit(1);
  }
}
if (!run(["update", "-qq"])) {
  console.error("apt-get update failed");
  process.exit(1);
}
for (const n of missing) {
  console.log(`installing ${n.what} for ${n.why} (${commandFor(n)})`);
  if (!run(["install", "-y", "-qq", ...(n.suite ? ["-t", n.suite] : []), ...n.pkgs]) || !n.present()) {
    console.error(`could not install ${n.what}: run \`${commandFor(n)}\` and try again`);
    process.exit(1);
  }
}
