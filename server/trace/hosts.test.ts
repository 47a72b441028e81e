// The hosts of one trace: each question of a namespace asked of the host that has it, each host in one round
// trip; a host the rows say is offline never asked (its questions fail, the walk sees it down), one that fails
// a question down from then on; with one host nothing more is asked than before.
import { describe, expect, it } from "vitest";
import type { TraceHostInfo, TraceQuestion } from "../../agent/contract/trace";
import type { TraceAgent, TraceHost } from "./agent";
import { TraceHosts } from "./hosts";

const info = (host: string): TraceHostInfo => ({
  host,
  prefix: `${host}-`,
  integration_bridge: "br-int",
  bridge_mappings: {},
  chain_prefix: "t",
  tunnel_bridge: "br-tun",
});

/** A host whose agent answers every question (or refuses all: `fails`), recording each round trip. */
function scripted(host: string, o: { online?: boolean; fails?: boolean } = {}) {
  const calls: TraceQuestion[][] = [];
  const agent: TraceAgent = {
    ask: async (questions) => {
      calls.push(questions);
      if (o.fails) throw new Error(`connect ECONNREFUSED (${host})`);
      return {
        info: info(host),
        answers: questions.map((q) =>
          q.kind === "ports"
            ? { kind: "ports", ok: true, ports: [], bridges: ["br-int", "br-tun"], uplinks: {} }
            : {
                kind: "links",
                ok: true,
                links: [{ name: host, mac: "", up: true, mtu: 1500, addresses: [] }],
              },
        ),
        duration_ms: 0,
      };
    },
    probe: () => Promise.reject(new Error("no probe")),
  };
  const row: TraceHost = {
    host,
    prefix: `${host}-`,
    agent,
    tunnel: { host, local_ip: "192.0.2.1", tunnel_bridge: null, online: o.online ?? true, last_seen: null },
  };
  return { row, calls };
}

const links = (namespace: string): TraceQuestion => ({ kind: "links", namespace });

describe("the hosts of a trace", () => {
  it("asks each namespace's question of its host, the hosts side by side, and reads their tunnel bridges", async () => {
    const [one, two] = [scripted("compute1"), scripted("compute2")];
    const hostOf = new Map([
      ["c1-ns", "compute1"],
      ["c2-ns", "compute2"],
    ]);
    const hosts = new TraceHosts([one.row, two.row], hostOf);
    const answers = await hosts.ask([links("c2-ns"), { kind: "ports" }, links("c1-ns")], [], "compute1");
    expect(answers.map((a) => (a.kind === "links" && a.ok ? a.links[0]?.name : a.kind))).toEqual([
      "compute2",
      "ports",
      "compute1",
    ]);
    // One round trip each; every host asked also says which OVS ports it has.
    expect(one.calls).toEqual([[{ kind: "ports" }, links("c1-ns")]]);
    expect(two.calls).toEqual([[links("c2-ns"), { kind: "ports" }]]);
    const across = hosts.across(new Set(), new Map());
    expect(across?.hosts.get("compute2")?.host).toMatchObject({ tunnel_bridge: "br-tun", online: true });
  });

  it("never asks a host the rows say is offline, and takes one that fails for down", async () => {
    const [one, two, three] = [
      scripted("compute1"),
      scripted("compute2", { online: false }),
      scripted("network1", { fails: true }),
    ];
    const hostOf = new Map([
      ["c2-ns", "compute2"],
      ["n1-ns", "network1"],
    ]);
    const hosts = new TraceHosts([one.row, two.row, three.row], hostOf);
    const answers = await hosts.ask([links("c2-ns"), links("n1-ns")], [], "compute1");
    expect(answers).toEqual([
      { kind: "links", ok: false, error: "the agent of host compute2 is offline" },
      { kind: "links", ok: false, error: "connect ECONNREFUSED (network1)" },
    ]);
    expect(two.calls).toEqual([]);
    await hosts.meet([]);
    // The walk crosses to neither: both are down (host-down where the path reaches them).
    const across = hosts.across(new Set(), new Map());
    for (const host of ["compute2", "network1"])
      expect(across?.hosts.get(host)).toMatchObject({ host: { online: false }, answers: null });
    expect(three.calls).toHaveLength(1);
  });

  it("with one host, asks it alone and nothing more, and the walk never leaves it", async () => {
    const one = scripted("h1");
    const hosts = new TraceHosts([one.row], new Map([["h1-ns", "h1"]]));
    await hosts.ask([links("h1-ns"), links("elsewhere")], [], "h1");
    await hosts.meet([]);
    expect(one.calls).toEqual([[links("h1-ns"), links("elsewhere")]]);
    expect(hosts.across(new Set(), new Map())).toBeNull();
  });
});
