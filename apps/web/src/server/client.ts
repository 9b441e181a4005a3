/**
 * Who is asking, as far as the network says: the client's address (set by server.mjs from the
 * socket or a trusted proxy, never taken from the client) and a keyed hash of it, which is what
 * the database stores with a classification.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataDir } from "@hiwl/db";
import ipaddr from "ipaddr.js";

/**
 * The client's address, normalised so that one client is one key: IPv4 as it is (also when
 * written as an IPv4-mapped IPv6 address), IPv6 as its /64, the block one subscriber holds.
 * "unknown" when the server was not told (a server started without server.mjs).
 */
export function clientAddress(headers: Headers): string {
  const raw = headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? "";
  if (!ipaddr.isValid(raw)) return "unknown";
  const address = ipaddr.process(raw);
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(":")}::/64`;
}

const shared = globalThis as typeof globalThis & { __hiwlSecret?: Buffer };

/**
 * The installation's secret for keyed hashes: $HIWL_SECRET, or a random one kept in the data
 * directory (created on first use, readable by the owner only). Several web servers of one site
 * share it through the data directory or the variable.
 */
function secret(): Buffer {
  if (shared.__hiwlSecret) return shared.__hiwlSecret;
  if (process.env.HIWL_SECRET) return (shared.__hiwlSecret = Buffer.from(process.env.HIWL_SECRET));
  const dir = dataDir();
  const file = join(/*turbopackIgnore: true*/ dir, "secret.key");
  try {
    shared.__hiwlSecret = readFileSync(file);
  } catch {
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32), { mode: 0o600, flag: "wx" });
    } catch {
      // Another server process wrote it first: theirs is the one.
    }
    shared.__hiwlSecret = readFileSync(file);
  }
  return shared.__hiwlSecret;
}

/** A keyed hash of the client's address: compares clients without storing where they are. */
export function clientKey(address: string): string {
  return createHmac("sha256", secret()).update(address).digest("hex").slice(0, 32);
}
