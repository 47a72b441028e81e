// Which tracked connections concern an address: the filter of `host inspect --address` and of the host page.
import type { ConntrackEntry } from "./host-snapshot";

/** Whether the connection has `address` in either direction, before or after NAT. */
export function conntrackInvolves(entry: ConntrackEntry, address: string): boolean {
  const { original: o, reply: r } = entry;
  return [o.src, o.dst, r.src, r.dst].includes(address);
}
