// Serves the agent's router over HTTP with tRPC's standalone adapter. 127.0.0.1 unless told otherwise.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import type { Agent } from "../agent";
import { createAgentRouter, isAuthorized } from "./router";

export type Listen = { host: string; port: number };

export function parseListen(value: string): Listen {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|localhost):(\d{1,5})$/i.exec(value);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !(port >= 0 && port <= 65535))
    throw new Error(`--listen: expected HOST:PORT, got ${value}`);
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}

export async function serveAgent(
  agent: Pick<Agent, "info" | "apply" | "monitor" | "tracer">,
  token: string,
  listen: Listen,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createHTTPServer({
    router: createAgentRouter(agent),
    createContext: ({ req }) => ({ authorized: isAuthorized(req.headers.authorization, token) }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
