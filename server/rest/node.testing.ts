// The OpenStack REST API on a node:http server of its own, without Next, for tests that drive it with the real
// `openstack` command: each request becomes the fetch Request that Next's route handlers get.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PEER_HEADER, toHeaders } from "../auth/http";
import type { RestDeps } from "./context";
import { serveRest } from "./serve";

async function toRequest(req: IncomingMessage): Promise<Request> {
  const headers = toHeaders(req.headers);
  // As scripts/web.mjs does: the TCP peer, whatever the client said.
  headers.set(PEER_HEADER, req.socket.remoteAddress ?? "");
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://${headers.get("host") ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
  });
}

/** Listens on 127.0.0.1 (a free port); answers the URL and a close. */
export async function listenRest(deps: RestDeps): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const response = await serveRest(await toRequest(req), deps);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
