/**
 * Checks every API request passes before a procedure runs: where it comes from (CSRF), what
 * it carries (JSON only), and how much (a capped body). Each refusal has a status, a stable
 * code and a message for the client.
 */
export interface Refusal {
  status: 403 | 413 | 415;
  code: "FORBIDDEN" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE";
  message: string;
}

/** The site's own origin: $HIWL_PUBLIC_URL's, or the one this request was addressed to. */
function siteOrigin(request: Request): string {
  if (process.env.HIWL_PUBLIC_URL) return new URL(process.env.HIWL_PUBLIC_URL).origin;
  const url = new URL(request.url);
  // server.mjs keeps these only from trusted proxies; Next fills them in from the connection.
  const proto = request.headers.get("x-forwarded-proto") ?? url.protocol.slice(0, -1);
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host") ?? url.host;
  return `${proto}://${host}`;
}

/**
 * Cross-site request forgery: browsers name the page a request comes from (Origin on every
 * POST, Sec-Fetch-Site on every request); a page of another site is refused, whatever cookies
 * ride along. Clients that are not browsers send neither and cannot carry a victim's cookies.
 */
export function checkOrigin(request: Request): Refusal | null {
  const origin = request.headers.get("origin");
  const fetchSite = request.headers.get("sec-fetch-site");
  if ((origin !== null && origin !== siteOrigin(request)) || fetchSite === "cross-site" || fetchSite === "same-site") {
    // Also what a site behind an unnamed TLS proxy sees for its own pages: say how to fix it.
    console.warn(
      `refused a cross-site request: origin ${origin ?? "(none)"}, Sec-Fetch-Site ${fetchSite ?? "(none)"}; the site's origin is ` +
        `${siteOrigin(request)} (behind a proxy, set HIWL_TRUST_PROXY or HIWL_PUBLIC_URL)`,
    );
    return { status: 403, code: "FORBIDDEN", message: "Requests from other sites are refused." };
  }
  return null;
}

/** Procedures take JSON only: a form post (the one body a page of another site can send unasked) is refused. */
export function checkContentType(request: Request): Refusal | null {
  if (request.method !== "POST") return null;
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json"
    ? null
    : { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "Send JSON (content-type: application/json)." };
}

/** Beyond this, an oversized body is not even drained: the connection is dropped. */
const DRAIN_BYTES = 1024 * 1024;

/**
 * The request body, kept up to `maxBytes`: a larger one is refused (413) without being kept.
 * A body without a length that turns out too large is drained (up to a megabyte) so that the
 * client can read the refusal instead of a reset connection.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | Refusal> {
  const tooLarge: Refusal = { status: 413, code: "PAYLOAD_TOO_LARGE", message: `Request bodies are limited to ${maxBytes} bytes.` };
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) return tooLarge;
  if (!request.body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > DRAIN_BYTES) {
      await reader.cancel();
      break;
    }
    if (size <= maxBytes) parts.push(value);
  }
  return size > maxBytes ? tooLarge : Buffer.concat(parts);
}

export const isRefusal = (value: unknown): value is Refusal =>
  typeof value === "object" && value !== null && "status" in value && "code" in value;

/** A refusal as the client sees it, with the request id that names it in the server log. */
export function refusalResponse(refusal: Refusal, requestId: string): Response {
  return Response.json(
    { error: { code: refusal.code, message: refusal.message, requestId } },
    { status: refusal.status, headers: { "x-request-id": requestId } },
  );
}
