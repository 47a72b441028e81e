// A netlens server as a process of its own, without Next's pages, for tests that run several of them
// (server/two-servers.int.test.ts): the parts `npm run up`'s server builds (services.ts, from the same environment:
// DATABASE_URL, NETLENS_AGENT_URL, ...) and Next's own route handlers of the API (tRPC with the events
// subscription over SSE, login and logout, the OpenStack REST API, metadata, health) on one port of 127.0.0.1.
//   node --import tsx server/serve.testing.ts --port 3001
import { parseArgs } from "node:util";
import * as health from "../app/api/health/route";
import * as login from "../app/api/login/route";
import * as logout from "../app/api/logout/route";
import * as metadata from "../app/api/metadata/[[...path]]/route";
import * as trpc from "../app/api/trpc/[trpc]/route";
import * as compute from "../app/compute/[[...path]]/route";
import * as identity from "../app/identity/[[...path]]/route";
import * as image from "../app/image/[[...path]]/route";
import * as networking from "../app/networking/[[...path]]/route";
import { logger } from "./logger";
import { listenFetch } from "./node-fetch.testing";
import { getServices } from "./services";

const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof methods)[number];
/** A route module: a handler per HTTP method it answers. */
type Route = Partial<Record<Method, (request: Request) => Response | Promise<Response>>>;
const isMethod = (name: string): name is Method => (methods as readonly string[]).includes(name);

/** Where Next mounts each route (app/<path>/route.ts): a path is served by the first mount it is under. */
const routes: [string, Route][] = [
  ["/api/trpc/", trpc],
  ["/api/health", health],
  ["/api/login", login],
  ["/api/logout", logout],
  ["/api/metadata", metadata],
  ["/identity", identity],
  ["/networking", networking],
  ["/compute", compute],
  ["/image", image],
];

const under = (path: string, mount: string) =>
  path === mount || path.startsWith(mount.endsWith("/") ? mount : `${mount}/`);

async function handle(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  const route = routes.find(([mount]) => under(pathname, mount))?.[1];
  if (!route) return new Response("Not Found", { status: 404 });
  const method = isMethod(request.method) ? route[request.method] : undefined;
  if (!method) return new Response("Method Not Allowed", { status: 405 });
  return method(request);
}

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
// Started before the first request, as `npm run up` starts it through /api/health: dispatchers and all.
await getServices();
const { url } = await listenFetch(handle, Number(values.port));
logger.info({ url, pid: process.pid }, "netlens API listening");
