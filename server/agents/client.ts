// The server's side of the agent's API: a tRPC client with the agent's bearer token.
import { readFile } from "node:fs/promises";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AgentRouter } from "../../agent/api/router";
import type { AgentInfo, ApplyResult, HostIntent } from "../../agent/contract/intent";

/** What the dispatcher needs from an agent; tests hand it a fake. */
export type AgentApi = {
  info(): Promise<AgentInfo>;
  apply(intent: HostIntent): Promise<ApplyResult>;
};

/** A tRPC client of one agent; every procedure the server calls (apply, trace) goes through one of these. */
export function agentTrpcClient(options: { url: string; tokenFile: string }) {
  return createTRPCClient<AgentRouter>({
    links: [
      httpLink({
        url: options.url,
        // Read on every call: the agent may (re)write its token after the server started.
        headers: async () => ({
          authorization: `Bearer ${(await readFile(options.tokenFile, "utf8")).trim()}`,
        }),
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
