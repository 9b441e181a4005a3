import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  // Native addon: bundled, its .node binding is not found at run time (HTTP 500).
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3"],
  // The workspace packages (TypeScript source) live above this app.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
};

export default config;
