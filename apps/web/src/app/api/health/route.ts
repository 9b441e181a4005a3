import { checkDatabase, checkHealth, db } from "@hiwl/db";
import { PER_REQUEST_CACHE_CONTROL, route } from "~/server/route.ts";

/**
 * The platform's health for monitoring: 200 when the database answers, the active model's
 * files are there and a training worker is alive; 503 naming what is wrong otherwise.
 * `?only=database` checks this server's own readiness alone: what a load balancer should
 * route by (one trivial query), so that a stopped worker does not take every web server out
 * of rotation.
 */
export const GET = route(async (request: Request) => {
  const only = new URL(request.url).searchParams.get("only");
  if (only !== null && only !== "database") {
    return Response.json({ error: { code: "BAD_REQUEST", message: `only=${only.slice(0, 40)}: the one check that can be asked for alone is 'database'` } }, { status: 400 });
  }
  const health = only === "database" ? await checkDatabase(db()).then((database) => ({ ok: database.ok, database })) : await checkHealth(db());
  return Response.json(health, { status: health.ok ? 200 : 503, headers: { "cache-control": PER_REQUEST_CACHE_CONTROL } });
});
