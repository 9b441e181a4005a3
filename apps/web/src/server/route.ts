import { randomUUID } from "node:crypto";
import { isDatabaseUnavailable } from "@hiwl/db";
import { UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_SECONDS } from "./unavailable.ts";

/**
 * Cache-Control for an answer that belongs to one request (a vote's result, health): nothing
 * may keep it. no-transform also keeps Next's server from gzipping it: it compresses every
 * streamed response, however small, and deflate's set-up per response cost more CPU than a
 * vote's whole SQL under `npm run bench:load` (docs/benchmarks.md).
 */
export const PER_REQUEST_CACHE_CONTROL = "no-store, no-transform";

/**
 * A route handler whose responses carry a request id and whose faults reach the client as a
 * generic 500 naming that id (a database out of reach: 503 with Retry-After); the detail goes
 * to the server log only.
 */
export function route<A extends unknown[]>(handler: (request: Request, ...args: A) => Promise<Response>) {
  return async (request: Request, ...args: A): Promise<Response> => {
    const requestId = randomUUID();
    try {
      const response = await handler(request, ...args);
      response.headers.set("x-request-id", requestId);
      return response;
    } catch (error) {
      const where = `${request.method} ${new URL(request.url).pathname} (request ${requestId})`;
      if (isDatabaseUnavailable(error)) {
        console.warn(`${where}: database unavailable: ${(error as Error).message}`);
        return Response.json(
          { error: { code: "SERVICE_UNAVAILABLE", message: UNAVAILABLE_MESSAGE, requestId } },
          { status: 503, headers: { "x-request-id": requestId, "retry-after": String(UNAVAILABLE_RETRY_SECONDS) } },
        );
      }
      console.error(`${where}:`, error);
      return Response.json(
        { error: { code: "INTERNAL_SERVER_ERROR", message: `Something went wrong on the server (request ${requestId}).`, requestId } },
        { status: 500, headers: { "x-request-id": requestId } },
      );
    }
  };
}
