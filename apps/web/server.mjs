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
 * HIWL_REQUEST_LOG: "json" (default) prints one JSON line per request; "off" none.
 * HIWL_SHUTDOWN_SECONDS: how long SIGTERM waits for requests in flight (default 10).
 *
 * On SIGTERM or SIGINT the server stops accepting connections, answers the requests it has
 * (closing their connections after), and exits; a request still running after
 * HIWL_SHUTDOWN_SECONDS is cut off and the exit code is 1.
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
const requestLog = (process.env.HIWL_REQUEST_LOG ?? "json") !== "off";
const shutdownMs = 1000 * Number(process.env.HIWL_SHUTDOWN_SECONDS ?? 10);
let inFlight = 0;
let stopping = false;

/** One line of the server's log, JSON so that a log collector reads it without a parser of its own. */
const logLine = (fields) => console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));

const app = next({ dev: false, dir, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  const start = performance.now();
  inFlight++;
  // Once stopping, each connection closes after its response instead of waiting idle.
  if (stopping) res.setHeader("connection", "close");
  res.once("close", () => {
    inFlight--;
    if (!requestLog) return;
    logLine({
      method: req.method,
      path: req.url?.split("?")[0],
      status: res.statusCode,
      ms: Math.round((performance.now() - start) * 10) / 10,
      bytes: Number(res.getHeader("content-length") ?? 0) || undefined,
      address: req.headers["x-forwarded-for"],
      requestId: res.getHeader("x-request-id"),
      ...(res.writableFinished ? {} : { aborted: true }),
    });
  });
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
    if (stopping) return;
    stopping = true;
    logLine({ event: "stopping", signal, inFlight });
    server.close(() => {
      logLine({ event: "stopped" });
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logLine({ event: "stopped", cutOff: inFlight });
      process.exit(1);
    }, shutdownMs).unref();
  });
}
