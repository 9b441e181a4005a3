"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import SuperJSON from "superjson";
import type { AppRouter } from "~/server/api/root.ts";

export const { useTRPC, useTRPCClient, TRPCProvider } = createTRPCContext<AppRouter>();

const createQueryClient = () =>
  new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, refetchOnWindowFocus: false } } });

let browserQueryClient: QueryClient | undefined;

function getQueryClient() {
  // On the server every request gets its own cache; in the browser one lives for the tab.
  if (typeof window === "undefined") return createQueryClient();
  return (browserQueryClient ??= createQueryClient());
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        // Not the streaming link: sign-in sets its cookie in the response headers, which a
        // streamed response has already sent before the procedure runs.
        // At most the calls the server takes in one batch (HIWL_LIMITS batchCalls, 10 at least).
        httpBatchLink({ transformer: SuperJSON, url: "/api/trpc", maxItems: 10 }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
