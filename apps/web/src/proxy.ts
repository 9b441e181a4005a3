import { NextResponse, type NextRequest } from "next/server";
import { VOLUNTEER_COOKIE, VOLUNTEER_COOKIE_MAX_AGE, isHttps, isVolunteerId } from "./server/cookies.ts";
import { contentSecurityPolicy } from "./server/security-headers.ts";

/**
 * Runs before every page: gives the page a Content-Security-Policy with a fresh nonce (Next
 * puts it on its own scripts, and nothing else may run), and gives a first-time browser an
 * anonymous volunteer id, so that the page and the API calls it fires in parallel all see the
 * same id. The id is only a name: the volunteer exists once classification.next creates them.
 */
export function proxy(request: NextRequest) {
  const nonce = btoa(crypto.randomUUID());
  const csp = contentSecurityPolicy(nonce);
  const fresh = request.method === "GET" && !isVolunteerId(request.cookies.get(VOLUNTEER_COOKIE)?.value);
  const id = crypto.randomUUID();
  // Visible to this request's server components as well as to the browser's next requests.
  if (fresh) request.cookies.set(VOLUNTEER_COOKIE, id);
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (fresh) {
    response.cookies.set(VOLUNTEER_COOKIE, id, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: isHttps(request.url, request.headers),
      maxAge: VOLUNTEER_COOKIE_MAX_AGE,
    });
  }
  return response;
}

export const config = {
  // Pages only: the API, images, model files and build assets get their headers from next.config.ts.
  matcher: ["/((?!api/|_next/static|_next/image|favicon.ico|icon.svg|tfjs/).*)"],
};
