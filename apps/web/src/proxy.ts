import { NextResponse, type NextRequest } from "next/server";
import { VOLUNTEER_COOKIE, VOLUNTEER_COOKIE_MAX_AGE, isHttps, isVolunteerId } from "./server/cookies.ts";

/**
 * Gives every browser an anonymous volunteer id before anything renders, so the page and
 * the API calls it fires in parallel all see the same id (the Volunteer row is created by
 * the API when the id is first used).
 */
export function proxy(request: NextRequest) {
  if (isVolunteerId(request.cookies.get(VOLUNTEER_COOKIE)?.value)) return NextResponse.next();
  const id = crypto.randomUUID();
  // Visible to this request's handlers as well as to the browser's next requests.
  request.cookies.set(VOLUNTEER_COOKIE, id);
  const response = NextResponse.next({ request: { headers: request.headers } });
  response.cookies.set(VOLUNTEER_COOKIE, id, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps(request.url, request.headers),
    maxAge: VOLUNTEER_COOKIE_MAX_AGE,
  });
  return response;
}

export const config = {
  // Images, model files and build assets need no identity.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|api/galaxies/|api/models/|tfjs/).*)"],
};
