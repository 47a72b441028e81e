// Tracked connections as people read them: which concern an address (the filter of `host inspect --address` and
// of the host page), and a trace hop's entry in one line (the CLI's and the trace page's).
import type { ConntrackEntry } from "./host-snapshot";
import type { HopConntrack } from "./schemas/trace";

/** Whether the connection has `address` in either direction, before or after NAT. */
export function conntrackInvolves(entry: ConntrackEntry, address: string): boolean {
  const { original: o, reply: r } = entry;
  return [o.src, o.dst, r.src, r.dst].includes(address);
}

/** One line for a hop's entry, as people read `conntrack -L`: the pair, the state, what it decides. */
export function conntrackText(conntrack: HopConntrack): string {
  const { entry } = conntrack;
  if (entry === null)
    return "no entry: conntrack tracks no such connection here (none lately, or one refused by a reset, which it forgets at once): the next packet is a new one";
  const end = (address: string, port: number | null) => (port === null ? address : `${address}:${port}`);
  const pair = `${end(entry.original.src, entry.original.sport)} > ${end(entry.original.dst, entry.original.dport)}, reply ${end(entry.reply.src, entry.reply.sport)} > ${end(entry.reply.dst, entry.reply.dport)}`;
  const state = [entry.state, ...entry.flags].filter((w) => w !== null).join(" ");
  const others = conntrack.others > 0 ? ` (+${conntrack.others} other)` : "";
  const verdict = conntrack.agrees
    ? ""
    : "; it does NOT translate as the nat rules do now (made before a change)";
  return `${entry.protocol} ${pair}${state === "" ? "" : ` [${state}]`}${others}${verdict}`;
}
