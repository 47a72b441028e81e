// The metadata relay, as Neutron's metadata agent: the proxies in router (and DHCP) namespaces cannot reach the
// server (their network is the tenant's), so they forward to this unix socket, which the agent serves from the
// host's own network. It signs the router or network the proxy named (lib/metadata-signature.ts) and passes
// the request on to the server's metadata service; the proxy set those headers itself, replacing the client's.
import { chmod, chown, mkdir, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { METADATA_HEADERS, type MetadataVia, signVia } from "../../lib/metadata-signature";
import { PROXY_GROUP } from "../plan/metadata-proxy";

export type RelayOptions = {
  socketPath: string;
  /** The server's metadata service, e.g. http://127.0.0.1:3000/api/metadata. */
  upstream: string;
  /** The secret the server verifies signatures with (the agent's API token), read when needed. */
  secret: () => Promise<string>;
  log: Logger;
};

/** `--metadata-url`: an http(s) URL, without a trailing slash (the request's path is appended). */
export function parseMetadataUrl(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "")
    throw new Error(
      `--metadata-url must be an http(s) URL without a query, as http://127.0.0.1:3000/api/metadata: ${value}`,
    );
  return url.href.replace(/\/+$/, "");
}

/** The group the proxies run as (they drop root), from /etc/group: the socket lets only it and root in. */
async function proxyGid(): Promise<number> {
  const line = (await readFile("/etc/group", "utf8"))
    .split("\n")
    .find((l) => l.startsWith(`${PROXY_GROUP}:`));
  const gid = Number(line?.split(":")[2]);
  if (!Number.isInteger(gid))
    throw new Error(`No group ${PROXY_GROUP} on this host: the metadata proxies run as it`);
  return gid;
}

const TIMEOUT_MS = 10_000;

function viaOf(req: IncomingMessage): MetadataVia | null {
  const router = req.headers[METADATA_HEADERS.router];
  const network = req.headers[METADATA_HEADERS.network];
  if (typeof router === "string") return { kind: "router", id: router };
  if (typeof network === "string") return { kind: "network", id: network };
  return null;
}

async function relay(options: RelayOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const via = viaOf(req);
  const client = req.headers[METADATA_HEADERS.client];
  if (via === null || typeof client !== "string" || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(400, { "content-type": "text/plain" }).end("Bad request\n");
    return;
  }
  const headers = {
    [via.kind === "router" ? METADATA_HEADERS.router : METADATA_HEADERS.network]: via.id,
    [METADATA_HEADERS.client]: client,
    [METADATA_HEADERS.signature]: signVia(await options.secret(), via),
  };
  const answer = await fetch(`${options.upstream}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = Buffer.from(await answer.arrayBuffer());
  res
    .writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" })
    .end(req.method === "HEAD" ? undefined : body);
}

/** Serves the relay on its socket (a stale socket file from an earlier run is replaced). */
export async function serveMetadataRelay(options: RelayOptions): Promise<Server> {
  const server = createServer((req, res) => {
    relay(options, req, res).catch((error: unknown) => {
      options.log.warn({ err: error, url: req.url }, "metadata relay: the metadata service did not answer");
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("The metadata service did not answer\n");
    });
  });
  // Its directory must let the proxies pass (search only): the agent's state directory above it too.
  await mkdir(dirname(options.socketPath), { recursive: true, mode: 0o711 });
  await chmod(dirname(options.socketPath), 0o711);
  await rm(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.socketPath, resolve);
  });
  await chown(options.socketPath, process.getuid?.() ?? 0, await proxyGid());
  await chmod(options.socketPath, 0o660);
  return server;
}
