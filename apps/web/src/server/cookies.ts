/**
 * The two cookies of the site. Both are httpOnly: page scripts never need them, and a script
 * injected into a page cannot steal them.
 */

/** Random id of the anonymous volunteer, set by the proxy on the first page load (or by classification.next). */
export const VOLUNTEER_COOKIE = "hiwl_volunteer";
/** Researcher sign-in token (its hash is the Session row). */
export const SESSION_COOKIE = "hiwl_session";

export const VOLUNTEER_COOKIE_MAX_AGE = 400 * 24 * 3600; // the longest browsers keep a cookie

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Only ids the proxy could have made are trusted, so nobody picks another volunteer's name. */
export function isVolunteerId(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value);
}

/** A cookie's value; a malformed one (bad percent-encoding, oversized) counts as absent. */
export function readCookie(headers: Headers, name: string): string | undefined {
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    if (raw.length > MAX_COOKIE_LENGTH) return undefined;
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Longer than any cookie the site sets (a UUID, a 43-character token). */
const MAX_COOKIE_LENGTH = 256;

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  /** Sent over HTTPS only: set when the site itself is served over HTTPS. */
  secure: boolean;
}

export function serializeCookie(name: string, value: string, { maxAge, secure }: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAge}`];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** Behind a TLS-terminating proxy the request URL says http; its forwarded header does not. */
export function isHttps(url: string, headers: Headers): boolean {
  return (headers.get("x-forwarded-proto") ?? new URL(url).protocol.replace(":", "")) === "https";
}
