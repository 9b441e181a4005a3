import { headers } from "next/headers";
import { createCaller } from "~/server/api/root.ts";
import { createTRPCContext } from "~/server/api/trpc.ts";

/**
 * The API called directly from server components, with this request's cookies. Cookies cannot
 * be set while a page renders, so the response headers given here are discarded.
 */
export async function serverApi() {
  return createCaller(createTRPCContext({ headers: await headers(), resHeaders: new Headers(), https: false }));
}
