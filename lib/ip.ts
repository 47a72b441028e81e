// IPv4 helpers over ipaddr.js. Addresses travel as dotted strings; arithmetic uses 32-bit integers.
import ipaddr from "ipaddr.js";

export type Cidr = { network: string; prefixlen: number };

export function isIpv4(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value);
}

/** A prefix length as the kernel prints it: decimal, no leading zero. */
const PREFIX_LENGTH = /^(0|[1-9][0-9]?)$/;

/**
 * Parses "a.b.c.d/n"; throws on anything else. When `strict` (what an input may be: a subnet's cidr, a route's
 * destination), the text must also be canonical and the host bits zero. ipaddr.js alone also reads
 * "012.0.0.0/8" (octal), "0xa000000/8", "167772160/8" and "10.0.0.0/08" as 10.0.0.0/8: stored as typed, such a
 * value never equals what the host reports, and "010.0.0.0/8" is 8.0.0.0/8 to it but 10.0.0.0/8 to a reader.
 */
export function parseCidr(value: string, strict = true): Cidr {
  if (!ipaddr.IPv4.isValidCIDR(value)) throw new Error(`Invalid CIDR ${value}${whyNotCidr(value)}`);
  const [address = "", length = ""] = value.split("/");
  if (strict && !(isIpv4(address) && PREFIX_LENGTH.test(length))) {
    throw new Error(
      `Invalid CIDR ${value}: write the address as four decimal numbers without leading zeros, and the prefix length in decimal, as in 10.0.0.0/8`,
    );
  }
  const [addr, prefixlen] = ipaddr.IPv4.parseCIDR(value);
  const network = ipaddr.IPv4.networkAddressFromCIDR(value).toString();
  if (strict && addr.toString() !== network) {
    throw new Error(`Invalid CIDR ${value}: host bits set (did you mean ${network}/${prefixlen}?)`);
  }
  return { network, prefixlen };
}

/** What is wrong with text that is no CIDR at all, when it can be told: the part at fault and the form wanted. */
function whyNotCidr(value: string): string {
  const [address = "", length, ...rest] = value.split("/");
  if (value.trim() === "") return ": empty (write it as in 10.0.0.0/24)";
  if (length === undefined) return ": no prefix length (write it as in 10.0.0.0/24)";
  if (rest.length > 0) return ": one '/' only, as in 10.0.0.0/24";
  if (!isIpv4(address)) return `: ${address} is not an IPv4 address`;
  if (/^\d+$/.test(length) && Number(length) > 32) return ": the prefix length must be 0 to 32";
  return "";
}

export function toInt(ip: string): number {
  const bytes = ipaddr.IPv4.parse(ip).toByteArray();
  return (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
}

export function fromInt(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** First and last address of a CIDR (network and broadcast for prefixes shorter than /31). */
export function cidrBounds(cidr: string): { first: number; last: number } {
  const { network, prefixlen } = parseCidr(cidr, false);
  const first = toInt(network);
  const size = 2 ** (32 - prefixlen);
  return { first, last: first + size - 1 };
}

/** The usable host range: excludes network and broadcast addresses unless /31 or /32. */
export function hostBounds(cidr: string): { first: number; last: number } {
  const { first, last } = cidrBounds(cidr);
  const { prefixlen } = parseCidr(cidr, false);
  return prefixlen >= 31 ? { first, last } : { first: first + 1, last: last - 1 };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { first, last } = cidrBounds(cidr);
  const n = toInt(ip);
  return n >= first && n <= last;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrBounds(a);
  const y = cidrBounds(b);
  return x.first <= y.last && y.first <= x.last;
}

export function prefixlenOf(cidr: string): number {
  return parseCidr(cidr, false).prefixlen;
}

/** "255.255.255.0" for 24: what DHCP options and cloud-init's network_data.json write. */
export function netmaskOf(prefixlen: number): string {
  return ipaddr.IPv4.subnetMaskFromPrefixLength(prefixlen).toString();
}

/**
 * A dotted quad as a number, for sorting only: for addresses already validated (the intent's, the kernel's),
 * so it skips the validation that `toInt` does (thousands of floating IPs per router).
 */
export function ipv4SortKey(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) return toInt(ip);
  return ((Number(parts[0]) * 256 + Number(parts[1])) * 256 + Number(parts[2])) * 256 + Number(parts[3]);
}
