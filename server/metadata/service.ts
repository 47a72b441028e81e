// The metadata service's HTTP side: a request relayed by a host agent (signed: see lib/metadata-signature.ts)
// with the router or network it came in by and the client's address, answered for the port holding that address.
// Never for anyone else: an unsigned or mis-signed request is refused before anything is looked up.
import type { Logger } from "pino";
import { isIpv4 } from "../../lib/ip";
import { METADATA_HEADERS, type MetadataVia, verifyVia } from "../../lib/metadata-signature";
import type { Executor } from "../db/client";
import { isUuid } from "../domain/refs";
import { answerMetadata } from "./documents";
import { findMetadataSubject } from "./lookup";

/** `secrets`: the agents' tokens (each host's relay signs with its own). */
export type MetadataDeps = { db: Executor; secrets: () => Promise<string[]>; log: Logger };

/** Where the service is mounted: what comes after it is the path the instance asked for. */
export const METADATA_MOUNT = "/api/metadata";

const plain = (status: number, body: string) =>
  new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

function viaOf(headers: Headers): MetadataVia | string {
  const router = headers.get(METADATA_HEADERS.router);
  const network = headers.get(METADATA_HEADERS.network);
  if ((router === null) === (network === null))
    return `exactly one of ${METADATA_HEADERS.router} and ${METADATA_HEADERS.network} is required`;
  const via: MetadataVia =
    router !== null ? { kind: "router", id: router } : { kind: "network", id: network ?? "" };
  return isUuid(via.id) ? via : `the ${via.kind} ID is not a UUID`;
}

/** The address the relay saw: the last of X-Forwarded-For (the one its proxy added). */
function clientOf(headers: Headers): string | null {
  const address = headers.get(METADATA_HEADERS.client)?.split(",").at(-1)?.trim() ?? "";
  return isIpv4(address) ? address : null;
}

export async function serveMetadata(deps: MetadataDeps, request: Request): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") return plain(405, "Method not allowed");
  const via = viaOf(request.headers);
  if (typeof via === "string") return plain(400, `Bad request: ${via}`);
  const signature = request.headers.get(METADATA_HEADERS.signature) ?? "";
  if (!(await deps.secrets()).some((secret) => verifyVia(secret, via, signature))) {
    deps.log.warn({ via }, "metadata request with a missing or wrong signature refused");
    return plain(403, "Forbidden: the request did not come through a netlens metadata proxy");
  }
  const client = clientOf(request.headers);
  if (client === null) return plain(400, `Bad request: ${METADATA_HEADERS.client} holds no IPv4 address`);
  const subject = await findMetadataSubject(deps.db, via, client);
  if (subject === null) {
    deps.log.info({ via, client }, "metadata asked by an address no port holds there");
    return plain(404, `Not found: no port holds ${client} on the ${via.kind}'s networks`);
  }
  const path = new URL(request.url).pathname.slice(METADATA_MOUNT.length);
  const answer = answerMetadata(subject, path);
  if (answer === null) return plain(404, "Not found");
  return new Response(request.method === "HEAD" ? null : answer.body, {
    status: 200,
    headers: { "content-type": answer.type },
  });
}
