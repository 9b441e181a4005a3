/**
 * The browser-side defences of every response: what a page may load and run, who may frame
 * it, what it tells other sites. next.config.ts sets the fixed headers; the proxy sets each
 * page's Content-Security-Policy with its own nonce.
 */

/**
 * Scripts: only Next's own, which carry the page's nonce, and what they load ('strict-dynamic');
 * WebAssembly for the in-browser model (TensorFlow.js's wasm backend). Styles may be inline
 * (the server-rendered style attributes). Nothing may frame the site.
 */
export function contentSecurityPolicy(nonce: string): string {
  const dev = process.env.NODE_ENV === "development";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Headers of every response, pages and API alike. */
export const SECURITY_HEADERS: { key: string; value: string }[] = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  // frame-ancestors' older spelling, for browsers without CSP level 2.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

/** The API and file routes return data, never pages: nothing in them may run or be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
