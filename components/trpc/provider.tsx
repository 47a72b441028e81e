"use client";
// One QueryClient and one tRPC client for the browser tab. Queries and mutations go through a batched HTTP link;
// the `events` subscription goes over SSE (httpSubscriptionLink), so no WebSocket server is needed.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import { CLIENT_HEADER } from "../../lib/client-header";
import type { AppRouter } from "./types";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live updates come from server events (see useLiveEvents); refetching on every focus adds nothing.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: 1,
      },
    },
  });
}

function apiUrl(): string {
  // Relative in the browser; absolute during server rendering of client components (no fetch happens there,
  // but the link still wants a URL).
  return typeof window === "undefined" ? "http://127.0.0.1/api/trpc" : "/api/trpc";
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url: apiUrl() }),
          // The header proves to the API that our page sent a mutation (CSRF), beside Fetch Metadata.
          false: httpBatchLink({ url: apiUrl(), headers: { [CLIENT_HEADER]: "web" } }),
        }),
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
