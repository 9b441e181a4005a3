import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";
import { databaseUrl, ensureDataDir } from "./packages/db/src/paths.ts";

// The JS engine with a driver adapter: no Prisma command downloads an engine binary
// (the 6.19 JS engine: docs/architecture.md, "Dependencies and why").
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter() {
    ensureDataDir();
    return Promise.resolve(new PrismaBetterSQLite3({ url: databaseUrl() }));
  },
});
