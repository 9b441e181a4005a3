#!/usr/bin/env node
// `npm run db:migration -- NAME`: after editing prisma/schema.prisma, writes the migration from
// the committed schema (git HEAD) to the edited one, for both databases:
// prisma/migrations/<time>_NAME (SQLite) and prisma/postgres/migrations/<time>_NAME.
// Prisma diffs the two schema texts offline; no database is needed. Read both files before
// committing them: a change Prisma cannot express (a partial index) is added by hand to both.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- NAME (lower case, digits and _)");
  process.exit(2);
}
const cli = createRequire(join(root, "package.json")).resolve("prisma/build/index.js");
const run = (args) =>
  execFileSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });

execFileSync(process.execPath, [join(root, "scripts/prisma-postgres.mjs"), "--schema"], { stdio: "inherit" });
const work = mkdtempSync(join(tmpdir(), "hiwl-migration-"));
try {
  const committed = execFileSync("git", ["show", "HEAD:prisma/schema.prisma"], { cwd: root, encoding: "utf8" });
  const before = { sqlite: join(work, "sqlite.prisma"), postgres: join(work, "postgres.prisma") };
  writeFileSync(before.sqlite, committed);
  writeFileSync(before.postgres, committed.replace('provider = "sqlite"', 'provider = "postgresql"'));
  // After every existing migration, which apply in name order (some carry later dates).
  const latest = ["prisma/migrations", "prisma/postgres/migrations"]
    .flatMap((folder) => readdirSync(join(root, folder)))
    .filter((n) => /^\d{14}_/.test(n))
    .map((n) => n.slice(0, 14))
    .sort()
    .at(-1) ?? "";
  const now = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const stamp = now > latest ? now : String(Number(latest) + 1);
  for (const [from, to, folder] of [
    [before.sqlite, "prisma/schema.prisma", "prisma/migrations"],
    [before.postgres, "prisma/postgres/schema.prisma", "prisma/postgres/migrations"],
  ]) {
    const sql = run(["migrate", "diff", "--from-schema-datamodel", from, "--to-schema-datamodel", to, "--script"]);
    const dir = join(root, folder, `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "migration.sql"), sql);
    console.log(`${folder}/${stamp}_${name}/migration.sql: ${sql.split("\n").length} lines`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
