// The server's side of the agent's API: a tRPC client with the agent's bearer token, the one way the server
// reaches an agent (apply, trace, the snapshot stream).
import { readFile } from "node:fs/promises";
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AgentRouter } from "../../agent/api/router";
import type { AgentInfo, ApplyResult, HostIntent } from "../../agent/contract/intent";
import { agentFetch } from "./fetch";

/** What the dispatcher needs from an agent; tests hand it a fake. */
export type AgentApi = {
  info(): Promise<AgentInfo>;
  apply(intent: HostIntent): Promise<ApplyResult>;
};

/**
 * The agent would not take the intent at all (its envelope: revision, lists). Sending the same intent again
 * cannot help: the dispatcher reports it once and waits for the next change.
 */
export class IntentRefusedError extends Error {
  constructor(message: string) {
    super(`The host agent refused the intent: ${message}`);
    this.name = "IntentRefusedError";
  }
}

/** Read on every request: the agent may (re)write its token after the server started. */
async function authorization(tokenFile: string): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await readFile(tokenFile, "utf8")).trim()}` };
}

/** Where an agent is, the file of its token and, for https:// URLs, the CA its certificate is signed by. */
export type AgentClientOptions = { url: string; tokenFile: string; caFile?: string | undefined };

/** A tRPC client of one agent: queries and mutations over HTTP(S), subscriptions (`snapshots`) over SSE. */
export function agentTrpcClient(options: AgentClientOptions) {
  const send = agentFetch(options.caFile);
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
              send(input, {
                ...init,
                headers: { ...init.headers, ...(await authorization(options.tokenFile)) },
              }),
          },
        }),
        false: httpLink({ url: options.url, fetch: send, headers: () => authorization(options.tokenFile) }),
      }),
    ],
  });
}

export function createAgentClient(options: AgentClientOptions): AgentApi {
  const client = agentTrpcClient(options);
  return {
    info: () => client.info.query(),
    apply: async (intent) => {
      try {
        return await client.applyIntent.mutate(intent);
      } catch (error) {
        if (error instanceof TRPCClientError && error.data?.code === "BAD_REQUEST")
          throw new IntentRefusedError(error.message);
        throw error;
      }
    },
  };
}
