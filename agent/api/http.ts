// Serves the agent's router with tRPC's standalone adapter: over HTTPS when given a certificate and its key (an
// agent on another host than the server's), else over HTTP (127.0.0.1 unless told otherwise).
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
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

/** The agent's certificate chain and private key (PEM), as read from --tls-cert and --tls-key. */
export type AgentTls = { cert: string; key: string };

export async function serveAgent(
  agent: Pick<Agent, "info" | "apply" | "monitor" | "tracer">,
  token: string,
  listen: Listen,
  tls?: AgentTls,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const handler = createHTTPHandler({
    router: createAgentRouter(agent),
    createContext: ({ req }) => ({ authorized: isAuthorized(req.headers.authorization, token) }),
  });
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, handler)
    : createHttpServer(handler);
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
    url: `${tls ? "https" : "http"}://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
