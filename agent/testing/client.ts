// A tRPC client of the agent over real HTTP, for integration tests and benches: queries and mutations with
// httpLink, subscriptions over SSE with httpSubscriptionLink. Node 20 has no EventSource, and the browser's cannot
// send headers: the `eventsource` package's does, through its `fetch` option, so the bearer token travels in the
// Authorization header as for every other procedure.
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AgentRouter } from "../api/router";

export function createAgentTestClient(url: string, token: string | null) {
  const authorization: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  return createTRPCClient<AgentRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...authorization } }),
          },
        }),
        false: httpLink({ url, headers: authorization }),
      }),
    ],
  });
}

export type AgentTestClient = ReturnType<typeof createAgentTestClient>;
