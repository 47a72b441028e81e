// Whose word on a client's address counts: the TCP peer's always, X-Forwarded-For's only as far as it was
// written by proxies the operator named (NETLENS_TRUSTED_PROXIES). Anyone else can put anything in that header,
// and a login throttle keyed on it is one that a client resets at will.
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type AddressRange = readonly [Address, number];

/** An address as the kernel or a proxy writes it; an IPv4-mapped IPv6 peer (`::ffff:a.b.c.d`) is its IPv4. */
function parseAddress(text: string): Address | null {
  return ipaddr.isValid(text) ? ipaddr.process(text) : null;
}

/** "10.0.0.1, 192.0.2.0/24 ::1" (commas or spaces): addresses and CIDRs. Throws naming what is neither. */
export function parseTrustedProxies(list: string): AddressRange[] {
  return list
    .split(/[\s,]+/)
    .filter((entry) => entry !== "")
    .map((entry): AddressRange => {
      if (entry.includes("/")) {
        if (!ipaddr.isValidCIDR(entry)) throw new Error(`${entry} is not an address or a CIDR`);
        return ipaddr.parseCIDR(entry);
      }
      const address = parseAddress(entry);
      if (!address) throw new Error(`${entry} is not an address or a CIDR`);
      return [address, address.kind() === "ipv4" ? 32 : 128];
    });
}

function trusted(address: Address, proxies: readonly AddressRange[]): boolean {
  return proxies.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

/** Whether the peer is a proxy whose X-Forwarded-* headers count. */
export function fromTrustedProxy(peer: string | null, proxies: readonly AddressRange[]): boolean {
  const address = peer === null ? null : parseAddress(peer);
  return address !== null && trusted(address, proxies);
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then X-Forwarded-For is read from the
 * right (each proxy appends the address it heard from), past the trusted ones, to the first address that is not
 * one. What is not an address ends the walk at the nearest trusted hop. "unknown" without a peer (a server that
 * did not say who connected).
 */
export function clientAddress(
  peer: string | null,
  forwardedFor: string | null,
  proxies: readonly AddressRange[],
): string {
  let client = peer === null ? null : parseAddress(peer);
  if (!client) return "unknown";
  const hops = (forwardedFor ?? "").split(",").map((hop) => hop.trim());
  while (trusted(client, proxies)) {
    const hop = hops.pop();
    const next = hop === undefined ? null : parseAddress(hop);
    if (!next) break;
    client = next;
  }
  return client.toString();
}
