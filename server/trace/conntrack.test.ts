// The traced connection's conntrack entry: what the walk's NATs expect a router to track, and which of the entries
// `conntrack -L` listed there is that connection (entries as the agent parses them).
import { describe, expect, it } from "vitest";
import { conntrackText } from "../../lib/conntrack";
import type { ConntrackEntry } from "../../lib/host-snapshot";
import type { Hop } from "../../lib/schemas/trace";
import { matchConntrack, trackedConnections, withConntrack } from "./conntrack";
import type { ParsedRule } from "./nat";
import type { ConnNat } from "./walk-state";

const NS = "t-qrouter-r1";
const rule = (chain: string): ParsedRule => ({
  chain,
  text: `-A ${chain} ...`,
  packets: 0,
  bytes: 0,
  target: "DNAT",
  unknown: [],
});

/** Outside 198.51.100.1 to floating IP 198.51.100.215, DNATed to 10.0.0.5. */
const dnat: ConnNat = {
  namespace: NS,
  kind: "dnat",
  before: "198.51.100.215",
  after: "10.0.0.5",
  rule: rule("t-PREROUTING"),
  node_id: "fip",
  entered: { src: "198.51.100.1", dst: "198.51.100.215", port: null },
};

function entry(fields: Partial<ConntrackEntry> & Pick<ConntrackEntry, "original" | "reply">): ConntrackEntry {
  return { protocol: "icmp", state: null, flags: [], text: "icmp 1 29 ...", ...fields };
}
const tuple = (src: string, dst: string, sport: number | null = null, dport: number | null = null) => ({
  src,
  dst,
  sport,
  dport,
});

describe("the connection a router should track", () => {
  it("a floating IP's DNAT: from the outside to the floating IP, the reply from the fixed IP", () => {
    expect(trackedConnections([dnat], "icmp")).toEqual([
      {
        namespace: NS,
        protocol: "icmp",
        original: { src: "198.51.100.1", dst: "198.51.100.215", dport: null },
        reply: { src: "10.0.0.5", dst: "198.51.100.1", sport: null },
      },
    ]);
  });

  it("a SNAT alone (an instance going out): the reply comes back to the SNAT's address", () => {
    const snat: ConnNat = {
      namespace: NS,
      kind: "snat",
      before: "10.0.0.6",
      after: "198.51.100.210",
      rule: rule("t-snat"),
      node_id: "r1",
      entered: { src: "10.0.0.6", dst: "198.51.100.1", port: 80 },
    };
    expect(trackedConnections([snat], "tcp")[0]).toMatchObject({
      original: { src: "10.0.0.6", dst: "198.51.100.1", dport: 80 },
      reply: { src: "198.51.100.1", dst: "198.51.100.210", sport: 80 },
    });
  });

  it("a DNAT and a SNAT in one router (hairpin) are one connection, as it came in before both", () => {
    const hairpinDnat = { ...dnat, entered: { src: "10.0.0.6", dst: "198.51.100.215", port: null } };
    const snat: ConnNat = {
      ...dnat,
      kind: "snat",
      before: "10.0.0.6",
      after: "198.51.100.210",
      entered: { src: "10.0.0.6", dst: "10.0.0.5", port: null },
    };
    expect(trackedConnections([hairpinDnat, snat], "icmp")).toEqual([
      {
        namespace: NS,
        protocol: "icmp",
        original: { src: "10.0.0.6", dst: "198.51.100.215", dport: null },
        reply: { src: "10.0.0.5", dst: "198.51.100.210", sport: null },
      },
    ]);
  });

  it("a port forwarding: the destination port as it came, the reply from the internal port", () => {
    const pf = { ...dnat, ports: { before: 2222, after: 22 }, entered: { ...dnat.entered, port: 2222 } };
    expect(trackedConnections([pf], "tcp")[0]).toMatchObject({
      original: { dport: 2222 },
      reply: { src: "10.0.0.5", sport: 22 },
    });
  });
});

describe("the entry that is the traced connection", () => {
  const [tracked] = trackedConnections([dnat], "icmp");
  if (tracked === undefined) throw new Error("no connection");
  const ping = entry({
    original: tuple("198.51.100.1", "198.51.100.215"),
    reply: tuple("10.0.0.5", "198.51.100.1"),
  });

  it("finds the ping's entry with its NAT pair", () => {
    const found = matchConntrack([ping], tracked);
    expect(found).toEqual({ entry: ping, agrees: true, others: 0 });
    expect(conntrackText(found)).toBe("icmp 198.51.100.1 > 198.51.100.215, reply 10.0.0.5 > 198.51.100.1");
  });

  it("says there is none when conntrack tracks nothing of it (another protocol does not count)", () => {
    const udp = { ...ping, protocol: "udp" };
    const found = matchConntrack([udp], tracked);
    expect(found).toEqual({ entry: null, agrees: false, others: 0 });
    expect(conntrackText(found)).toMatch(/^no entry/);
  });

  it("names an entry that translates otherwise than the rules now (made before a change)", () => {
    const stale = { ...ping, reply: tuple("10.0.0.9", "198.51.100.1") };
    const found = matchConntrack([stale], tracked);
    expect(found.agrees).toBe(false);
    expect(conntrackText(found)).toContain("does NOT translate as the nat rules do");
  });

  it("among a TCP port's connections: the port asked, the established one that agrees first", () => {
    const [web] = trackedConnections([{ ...dnat, entered: { ...dnat.entered, port: 8080 } }], "tcp");
    if (web === undefined) throw new Error("no connection");
    const tcp = (sport: number, dport: number, state: string, flags: string[]) =>
      entry({
        protocol: "tcp",
        state,
        flags,
        original: tuple("198.51.100.1", "198.51.100.215", sport, dport),
        reply: tuple("10.0.0.5", "198.51.100.1", dport, sport),
      });
    const other = tcp(40000, 22, "ESTABLISHED", ["ASSURED"]);
    const waiting = tcp(40001, 8080, "SYN_SENT", ["UNREPLIED"]);
    const established = tcp(40002, 8080, "ESTABLISHED", ["ASSURED"]);
    const found = matchConntrack([other, waiting, established], web);
    expect(found).toEqual({ entry: established, agrees: true, others: 1 });
    expect(conntrackText(found)).toBe(
      "tcp 198.51.100.1:40002 > 198.51.100.215:8080, reply 10.0.0.5:8080 > 198.51.100.1:40002 [ESTABLISHED ASSURED] (+1 other)",
    );
  });

  it("goes on the router's NAT hops forward and its conntrack hops back, nowhere else", () => {
    const hop = (action: Hop["action"], namespace: string, kind: Hop["decided_by"]["kind"]): Hop => ({
      where: { namespace, node_id: "n" },
      action,
      packet: { src: "a", dst: "b" },
      decided_by: { kind, text: "" },
    });
    const found = matchConntrack([ping], tracked);
    const forward = withConntrack(
      [hop("switched", "", "ovs_flow"), hop("dnat", NS, "nat_rule"), hop("routed", NS, "route")],
      NS,
      found,
      "forward",
    );
    expect(forward.map((h) => h.conntrack !== undefined)).toEqual([false, true, false]);
    const reply = withConntrack(
      [hop("routed", NS, "route"), hop("snat", NS, "conntrack"), hop("snat", "other", "conntrack")],
      NS,
      found,
      "reply",
    );
    expect(reply.map((h) => h.conntrack !== undefined)).toEqual([false, true, false]);
  });
});
