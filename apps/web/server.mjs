#!/usr/bin/env node
/**
 * The site's production server: Next.js's own request handler (`next build` output) behind a
 * plain Node HTTP server, so that the client's network address comes from the socket, or from
 * the proxies the operator trusts ($HIWL_TRUST_PROXY), never from a header the client wrote.
 * `next start` keeps an X-Forwarded-For that the client sent, which would make every limit by
 * address (identities, sign-in attempts, votes per galaxy) a formality.
 *
 *   PORT=3000 HIWL_TRUST_PROXY=loopback node server.mjs
 *
 * HIWL_TRUST_PROXY: comma-separated addresses, CIDR ranges or the names loopback, linklocal,
 * uniquelocal (proxy-addr's syntax); unset, no proxy is trusted.
 */
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import proxyAddr from "proxy-addr";

process.env.NODE_ENV ??= "production";
const { default: next } = await import("next");

const dir = fileURLToPath(new URL(".", import.meta.url));
const port = Number(process.env.PORT ?? 3000);
const trusted = (process.env.HIWL_TRUST_PROXY ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const trust = proxyAddr.compile(trusted);

const app = next({ dev: false, dir, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  const peerTrusted = trust(req.socket.remoteAddress ?? "", 0);
  // Next fills in the x-forwarded-* headers only where they are missing: from an untrusted
  // peer they are removed first, so Next derives them from the connection itself.
  if (!peerTrusted) {
    delete req.headers["x-forwarded-host"];
    delete req.headers["x-forwarded-proto"];
    delete req.headers["x-forwarded-port"];
  }
  // The one address the site sees: the first untrusted hop, counted from the socket.
  req.headers["x-forwarded-for"] = proxyAddr(req, trust);
  handle(req, res).catch((error) => {
    console.error(`${req.method} ${req.url}:`, error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("Internal server error");
  });
});

server.listen(port, () => {
  console.log(`HIWL site on http://localhost:${port}${trusted.length ? ` (trusting proxies: ${trusted.join(", ")})` : ""}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    // Keep-alive connections would hold close() open.
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
