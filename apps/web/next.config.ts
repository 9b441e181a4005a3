import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";
import { API_CSP, SECURITY_HEADERS } from "./src/server/security-headers.ts";

const config: NextConfig = {
  // Native addon: bundled, its .node binding is not found at run time (HTTP 500); pg requires
  // its optional native binding conditionally, which the bundler cannot follow.
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "pg", "@prisma/adapter-pg"],
  // The workspace packages (TypeScript source) live above this app.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
  poweredByHeader: false,
  headers: () =>
    Promise.resolve([
      { source: "/:path*", headers: SECURITY_HEADERS },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CSP }] },
    ]),
};

export default config;
