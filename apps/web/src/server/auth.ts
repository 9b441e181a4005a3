import { getSessionVolunteer, type Db, type Volunteer } from "@hiwl/db";
import { SESSION_COOKIE, readCookie } from "./cookies.ts";

export type ResearcherCheck =
  | { ok: true; researcher: Volunteer }
  | { ok: false; status: 401 | 403; message: string };

/**
 * Whether the request carries a researcher's session: the one gate for everything that
 * changes the model or exports data, shared by the tRPC middleware and the route handlers.
 */
export async function checkResearcher(db: Db, headers: Headers): Promise<ResearcherCheck> {
  const token = readCookie(headers, SESSION_COOKIE);
  const user = token ? await getSessionVolunteer(db, token) : null;
  if (!user) return { ok: false, status: 401, message: "Sign in as a researcher first." };
  if (user.role !== "researcher") return { ok: false, status: 403, message: "Researchers only." };
  return { ok: true, researcher: user };
}
