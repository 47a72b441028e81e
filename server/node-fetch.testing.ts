// A fetch-style handler (what Next's route handlers are) on a node:http server of its own, without Next, for tests:
// each request becomes the fetch Request a route handler gets, and its Response is streamed back (a subscription
// over SSE answers for as long as it lives). The OpenStack REST API and the metadata service are served this way
// in the tests that drive them with real clients, and the whole API by server/serve.testing.ts.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PEER_HEADER, toHeaders } from "./auth/http";
import type { RestDeps } from "./rest/context";
import { serveRest } from "./rest/serve";

async function toRequest(req: IncomingMessage, signal: AbortSignal): Promise<Request> {
  const headers = toHeaders(req.headers);
  // As scripts/web.mjs does: the TCP peer, whatever the client said.
  headers.set(PEER_HEADER, req.socket.remoteAddress ?? "");
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://${headers.get("host") ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    signal,
    ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
  });
}

/** Listens on 127.0.0.1 (`port`, a free one by default); answers the URL and a close. */
export async function listenFetch(
  handle: (request: Request) => Promise<Response>,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    // A client that went away (a subscriber closing its stream) ends what its request started.
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    void (async () => {
      const response = await handle(await toRequest(req, gone.signal));
      // Each cookie a header of its own (a Headers object's entries would keep one).
      const cookies = response.headers.getSetCookie();
      res.writeHead(response.status, {
        ...Object.fromEntries(response.headers),
        ...(cookies.length > 0 ? { "set-cookie": cookies } : {}),
      });
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    })().catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The OpenStack REST API, as Next serves it under /identity, /networking, /compute. */
export const listenRest = (deps: RestDeps) => listenFetch((request) => serveRest(request, deps));
