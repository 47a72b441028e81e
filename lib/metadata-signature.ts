// How the metadata service knows a request came through a host agent's relay (and not from a tenant who
// reached the server): the relay signs the router or network the request entered by, with the secret the
// server and the agent share (the agent's API token), as Neutron's metadata agent signs X-Instance-ID.
// The relay signs, the server verifies (node only: not for the browser).
import { createHmac, timingSafeEqual } from "node:crypto";

/** The network element a request entered by: a router's namespace, or a network's DHCP namespace. */
export type MetadataVia = { kind: "router" | "network"; id: string };

export const METADATA_HEADERS = {
  router: "x-neutron-router-id",
  network: "x-neutron-network-id",
  signature: "x-netlens-metadata-signature",
  client: "x-forwarded-for",
} as const;

export function signVia(secret: string, via: MetadataVia): string {
  return createHmac("sha256", secret).update(`${via.kind}:${via.id}`).digest("hex");
}

export function verifyVia(secret: string, via: MetadataVia, signature: string): boolean {
  const expected = Buffer.from(signVia(secret, via), "hex");
  const given = Buffer.from(signature, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
