import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root.ts";
import { createTRPCContext } from "~/server/api/trpc.ts";
import { isHttps } from "~/server/cookies.ts";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req,
    createContext: ({ resHeaders }) =>
      createTRPCContext({ headers: req.headers, resHeaders, https: isHttps(req.url, req.headers) }),
    onError: ({ path, error }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}:`, error.cause ?? error);
    },
  });

export { handler as GET, handler as POST };
