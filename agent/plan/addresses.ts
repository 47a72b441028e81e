// Stable orderings of addresses and route destinations, so that plans and rendered text never depend on the
// order in which the intent or the kernel listed them.
import { ipv4SortKey, parseCidr } from "../../lib/ip";

/** Sorts "a.b.c.d/n" strings by address, then prefix length (each key computed once: thousands of FIPs). */
export function sortAddresses(addresses: Iterable<string>): string[] {
  return [...new Set(addresses)]
    .map((address) => ({ address, key: addressKey(address) }))
    .sort((a, b) => a.key - b.key)
    .map((entry) => entry.address);
}

function addressKey(value: string): number {
  const [ip = "0.0.0.0", len = "32"] = value.split("/");
  return ipv4SortKey(ip) * 64 + Number(len);
}

/** "0.0.0.0/0" -> "default"; a bare address (as `ip route` prints host routes) -> "a.b.c.d/32". */
export function normaliseDestination(destination: string): string {
  if (destination === "default" || destination === "0.0.0.0/0") return "default";
  if (!destination.includes("/")) return `${destination}/32`;
  const { network, prefixlen } = parseCidr(destination, false);
  return prefixlen === 0 ? "default" : `${network}/${prefixlen}`;
}
