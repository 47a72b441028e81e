// Parsers for the openstack CLI's option syntax: `--allocation-pool start=A,end=B`, repeated options.
import { InvalidArgumentError } from "commander";

/** Parses "k1=v1,k2=v2" into an object, accepting only the given keys. */
export function keyValues<K extends string>(keys: readonly K[]) {
  return (text: string): Partial<Record<K, string>> => {
    const out: Partial<Record<K, string>> = {};
    for (const part of text.split(",")) {
      const eq = part.indexOf("=");
      const key = part.slice(0, eq).trim();
      if (eq < 1 || !(keys as readonly string[]).includes(key)) {
        throw new InvalidArgumentError(`expected ${keys.map((k) => `${k}=…`).join(",")}, got "${text}"`);
      }
      out[key as K] = part.slice(eq + 1).trim();
    }
    return out;
  };
}

/** Collects a repeated option into a list (a preceding `--no-x` leaves `false` there: start afresh). */
export function repeat<T>(parse: (text: string) => T) {
  return (text: string, previous: unknown): T[] => [
    ...(Array.isArray(previous) ? previous : []),
    parse(text),
  ];
}

export function integer(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return n;
}

export const allocationPool = keyValues(["start", "end"] as const);
export const route = keyValues(["destination", "gateway"] as const);
export const fixedIp = keyValues(["subnet", "ip-address"] as const);

/** openstack's `--route destination=D,gateway=G` is Neutron's {destination, nexthop}. */
export function toRoute(r: Partial<Record<"destination" | "gateway", string>>) {
  return { destination: r.destination ?? "", nexthop: r.gateway ?? "" };
}

export function toFixedIp(f: Partial<Record<"subnet" | "ip-address", string>>) {
  return { subnet_id: f.subnet, ip_address: f["ip-address"] };
}

export function toPool(p: Partial<Record<"start" | "end", string>>) {
  return { start: p.start ?? "", end: p.end ?? "" };
}
