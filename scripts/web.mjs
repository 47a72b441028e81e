// The web server of `npm run up` and the e2e stack: Next's production server behind a plain node:http server of
// our own, for one reason. Next fills X-Forwarded-For with the peer's address only when a client sent none, so
// its route handlers cannot tell a client's word from a proxy's; this server states the TCP peer in a header of
// its own (server/auth/http.ts PEER_HEADER), replacing whatever a client put there.
//   node scripts/web.mjs --hostname 127.0.0.1 --port 3000
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const PEER_HEADER = "x-netlens-peer";

const { values } = parseArgs({
  options: { hostname: { type: "string", default: "127.0.0.1" }, port: { type: "string", default: "3000" } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535)
  throw new Error(`--port: not a port: ${values.port}`);

// As `next start` does; set before Next is loaded, which reads it.
process.env.NODE_ENV = "production";
const { default: next } = await import("next");
const app = next({
  dir: join(dirname(fileURLToPath(import.meta.url)), ".."),
  hostname: values.hostname,
  port,
});
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
  handle(req, res);
});
server.listen(port, values.hostname, () => {
  console.log(`netlens web server listening on http://${values.hostname}:${port}`);
});
