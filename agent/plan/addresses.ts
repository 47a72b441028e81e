// Stable orderings of addresses and route destinations, so that plans and rendered text never depend on the
// order in which the intent or the kernel listed them.
import { parseCidr, toInt } from "../../lib/ip";

/** Sorts "a.b.c.d/n" strings by address, then prefix length (each key computed once: thousands of FIPs). */
export function sortAddresses(addresses: Iterable<string>): string[] {
  return [...new Set(addresses)]
    .map((address) => ({ address, key: addressKey(address) }))
    .sort((a, b) => a.key - b.key)
    .map((entry) => entry.address);
}

function addressKey(value: string): number {
  const [ip = "0.0.0.0", len = "32"] = value.split("/");
  return ipv4Key(ip) * 64 + Number(len);
}

/**
 * A dotted quad as a number, for sorting only: the addresses come from the validated intent or from the kernel,
 * so this skips the validation that `toInt` does (thousands of floating IPs per router).
 */
export function ipv4Key(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) return toInt(ip);
  return ((Number(parts[0]) * 256 + Number(parts[1])) * 256 + Number(parts[2])) * 256 + Number(parts[3]);
}

/** "0.0.0.0/0" -> "default"; a bare address (as `ip route` prints host routes) -> "a.b.c.d/32". */
export function normaliseDestination(destination: string): string {
  if (destination === "default" || destination === "0.0.0.0/0") return "default";
  if (!destination.includes("/")) return `${destination}/32`;
  const { network, prefixlen } = parseCidr(destination, false);
  return prefixlen === 0 ? "default" : `${network}/${prefixlen}`;
}
