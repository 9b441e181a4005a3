import { randomUUID } from "node:crypto";
import { limits } from "@hiwl/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root.ts";
import { createTRPCContext } from "~/server/api/trpc.ts";
import { isHttps } from "~/server/cookies.ts";
import { checkContentType, checkOrigin, isRefusal, readBody, refusalResponse } from "~/server/request-guard.ts";
import { PER_REQUEST_CACHE_CONTROL } from "~/server/route.ts";

const handler = async (req: Request) => {
  const requestId = randomUUID();
  const refusal = checkOrigin(req) ?? checkContentType(req);
  if (refusal) return refusalResponse(refusal, requestId);
  const { bodyBytes, batchCalls } = limits();
  const body = req.method === "POST" ? await readBody(req, bodyBytes) : null;
  if (isRefusal(body)) return refusalResponse(body, requestId);
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req: new Request(req.url, { method: req.method, headers: req.headers, body }),
    maxBatchSize: batchCalls,
    createContext: ({ resHeaders }) =>
      createTRPCContext({ headers: req.headers, resHeaders, https: isHttps(req.url, req.headers), requestId }),
    onError: ({ path, error }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} (request ${requestId}):`, error.cause ?? error);
      if (error.code === "SERVICE_UNAVAILABLE") console.warn(`tRPC ${path ?? "?"} (request ${requestId}): database unavailable: ${error.cause?.message ?? ""}`);
    },
  });
  response.headers.set("x-request-id", requestId);
  response.headers.set("cache-control", PER_REQUEST_CACHE_CONTROL);
  return response;
};

export { handler as GET, handler as POST };
