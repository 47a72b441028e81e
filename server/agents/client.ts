// The server's side of the agent's API: a tRPC client with the agent's bearer token, the one way the server
// reaches an agent (apply, trace, the snapshot stream).
import { readFile } from "node:fs/promises";
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AgentRouter } from "../../agent/api/router";
import type { AgentInfo, ApplyResult, HostIntent } from "../../agent/contract/intent";

/** What the dispatcher needs from an agent; tests hand it a fake. */
export type AgentApi = {
  info(): Promise<AgentInfo>;
  apply(intent: HostIntent): Promise<ApplyResult>;
};

/** Read on every request: the agent may (re)write its token after the server started. */
async function authorization(tokenFile: string): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await readFile(tokenFile, "utf8")).trim()}` };
}

/** A tRPC client of one agent: queries and mutations over HTTP, subscriptions (`snapshots`) over SSE. */
export function agentTrpcClient(options: { url: string; tokenFile: string }) {
  return createTRPCClient<AgentRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: options.url,
          EventSource,
          // Node has no EventSource, and a browser's cannot send headers: this one sends the token through
          // its fetch, like every other call to the agent.
          eventSourceOptions: {
            fetch: async (input, init) =>
              fetch(input, {
                ...init,
                headers: { ...init.headers, ...(await authorization(options.tokenFile)) },
              }),
          },
        }),
        false: httpLink({ url: options.url, headers: () => authorization(options.tokenFile) }),
      }),
    ],
  });
}

export function createAgentClient(options: { url: string; tokenFile: string }): AgentApi {
  const client = agentTrpcClient(options);
  return {
    info: () => client.info.query(),
    apply: (intent) => client.applyIntent.mutate(intent),
  };
}
