// The walk against a scripted host: what it asks in each round trip (the OVS leg into a namespace with the route
// there, the reply's first route where the packet may end), and that an answer asked ahead is never taken for
// what happened when the packet did not get there.
import { describe, expect, it } from "vitest";
import type {
  OvsQuestion,
  RouteGet,
  TraceAnswer,
  TraceHostInfo,
  TraceQuestion,
} from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import type { TraceAgent } from "./agent";
import { HostAnswers, questionKey } from "./ask";
import type { NsDevice, Place } from "./places";
import { walk } from "./walk";
import type { WalkContext } from "./walk-state";

const info: TraceHostInfo = {
  host: "h1",
  prefix: "t-",
  integration_bridge: "t-int",
  bridge_mappings: { public: "t-ex" },
  chain_prefix: "t",
  tunnel_bridge: null,
};

let macs = 0;
const device = (name: string, network: string, addresses: string[], extra: Partial<NsDevice> = {}) => ({
  name,
  mac: `fa:16:3e:00:00:${(++macs).toString(16).padStart(2, "0")}`,
  network_id: network,
  tap: `tap-${name}`,
  physical_network: null,
  port_id: null,
  addresses,
  ...extra,
});

// outside (203.0.113.1) -- ext -- router (qg 203.0.113.10, FIP 203.0.113.20; qr 10.0.0.1) -- net -- vm (10.0.0.5)
const uplink: Place = {
  kind: "uplink",
  namespace: "t-quplink",
  node_id: "ext",
  devices: [device("eth0", "ext", ["203.0.113.1"], { physical_network: "public", tap: "upl-ext" })],
};
const router: Place = {
  kind: "router",
  namespace: "t-qrouter",
  node_id: "r1",
  devices: [
    // 203.0.113.30: a floating IP that forwards tcp 2222 to 10.0.0.5:22.
    device("qg-1", "ext", ["203.0.113.10", "203.0.113.20", "203.0.113.30"], { port_id: "port-qg" }),
    device("qr-1", "net", ["10.0.0.1"], { port_id: "port-qr" }),
  ],
};
const vm: Place = {
  kind: "instance",
  namespace: "t-qprobe",
  node_id: "vm1",
  devices: [device("eth0", "net", ["10.0.0.5"], { tap: "tap-vm1" })],
};

// vm2 (10.0.0.6) has no floating IP: it leaves by the router's gateway SNAT.
const vm2: Place = {
  kind: "instance",
  namespace: "t-qprobe2",
  node_id: "vm2",
  devices: [device("eth0", "net", ["10.0.0.6"], { tap: "tap-vm2" })],
};

const nat: NatRuleCounters[] = [
  { chain: "PREROUTING", rule: "-A PREROUTING -j t-PREROUTING", packets: 0, bytes: 0 },
  {
    chain: "t-PREROUTING",
    rule: "-A t-PREROUTING -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5",
    packets: 3,
    bytes: 252,
  },
  { chain: "POSTROUTING", rule: "-A POSTROUTING -j t-snat", packets: 0, bytes: 0 },
  { chain: "t-snat", rule: "-A t-snat -j t-float-snat", packets: 0, bytes: 0 },
  {
    chain: "t-float-snat",
    rule: "-A t-float-snat -s 10.0.0.5/32 -j SNAT --to-source 203.0.113.20",
    packets: 0,
    bytes: 0,
  },
  {
    chain: "t-snat",
    rule: "-A t-snat -o qg-1 -j SNAT --to-source 203.0.113.10",
    packets: 0,
    bytes: 0,
  },
];

/** The host's routes, per namespace and destination. */
const routes: Record<string, Record<string, RouteGet>> = {
  "t-quplink": {
    "203.0.113.20": { dst: "203.0.113.20", dev: "eth0", prefsrc: "203.0.113.1" },
    "203.0.113.30": { dst: "203.0.113.30", dev: "eth0", prefsrc: "203.0.113.1" },
    "203.0.113.1": { type: "local", dst: "203.0.113.1", dev: "lo" },
  },
  "t-qrouter": {
    "10.0.0.5": { dst: "10.0.0.5", dev: "qr-1" },
    "203.0.113.1": { dst: "203.0.113.1", dev: "qg-1" },
  },
  "t-qprobe": {
    "10.0.0.5": { type: "local", dst: "10.0.0.5", dev: "lo" },
    "203.0.113.1": { dst: "203.0.113.1", gateway: "10.0.0.1", dev: "eth0" },
  },
  "t-qprobe2": { "203.0.113.1": { dst: "203.0.113.1", gateway: "10.0.0.1", dev: "eth0" } },
};

/** A host whose OVS carries everything but what `cut` names; it records each round trip's questions. */
function scriptedHost(cut: { in_port: string } | null = null) {
  const calls: TraceQuestion[][] = [];
  const answer = (q: TraceQuestion): TraceAnswer => {
    switch (q.kind) {
      case "route": {
        const route = routes[q.namespace]?.[q.dst];
        return route
          ? { kind: "route", ok: true, route, text: `${q.dst} dev ${route.dev}` }
          : { kind: "route", ok: false, error: "Network is unreachable", text: "unreachable" };
      }
      case "ovs": {
        const to = outputOf(q);
        return {
          kind: "ovs",
          ok: true,
          trace: {
            bridges: [q.bridge],
            rules: [],
            outputs: to === null || cut?.in_port === q.in_port ? [] : [to],
            vlan: null,
            notes: [],
            datapath_actions: "",
            text: "",
          },
        };
      }
      default:
        return { kind: q.kind, ok: false, error: "not scripted" } as TraceAnswer;
    }
  };
  const agent: TraceAgent = {
    ask: async (questions) => {
      calls.push(questions);
      return { info, answers: questions.map(answer), duration_ms: 0 };
    },
    probe: () => Promise.reject(new Error("no probe here")),
  };
  return { agent, calls };
}

/** Where OVS delivers a frame: the port holding its destination MAC's device. */
function outputOf(q: OvsQuestion): string | null {
  for (const place of [uplink, router, vm])
    for (const d of place.devices) if (d.mac === q.dl_dst && d.tap !== q.in_port) return d.tap;
  return null;
}

function context(agent: TraceAgent): WalkContext {
  return {
    host: new HostAnswers(agent),
    across: null,
    info,
    protocol: "icmp",
    port: null,
    places: [uplink, router, vm, vm2],
    ports: [],
    nat: new Map([[router.namespace, nat]]),
    macs: new Map(),
    fipIds: new Map([["203.0.113.20", "fip1"]]),
    filters: new Map(),
    forwardings: [],
  };
}

const outsideToFip = { place: uplink, packet: { src: "203.0.113.1", dst: "203.0.113.20" }, srcKnown: true };

describe("walk: round trips", () => {
  it("asks the OVS leg into a namespace together with the route there, and the reply's first route where it ends", async () => {
    const { agent, calls } = scriptedHost();
    const result = await walk(context(agent), "forward", outsideToFip, []);
    expect(result.hops.map((h) => h.action)).toEqual([
      "routed",
      "switched",
      "dnat",
      "routed",
      "switched",
      "delivered",
    ]);
    expect(result.deliveredAt).toBe(vm);
    expect(calls.map((c) => c.map((q) => `${q.kind}${"namespace" in q ? `@${q.namespace}` : ""}`))).toEqual([
      ["route@t-quplink"],
      ["ovs", "route@t-qrouter"],
      ["ovs", "route@t-qprobe", "route@t-qprobe"],
    ]);
    // The last call's extra question is the reply's start: from the instance back to the sender.
    expect(calls[2]?.[2]).toEqual({
      kind: "route",
      namespace: "t-qprobe",
      dst: "203.0.113.1",
      src: "10.0.0.5",
    });
  });

  it("the reply walk finds its first route already answered", async () => {
    const { agent, calls } = scriptedHost();
    const ctx = context(agent);
    const forward = await walk(ctx, "forward", outsideToFip, []);
    const before = calls.length;
    await walk(
      ctx,
      "reply",
      { place: vm, packet: { src: forward.packet.dst, dst: forward.packet.src }, srcKnown: true },
      forward.nat,
    );
    expect(calls[before]?.[0]?.kind).toBe("ovs");
  });

  it("a drop on the OVS leg ends the walk there: the route asked along for the next namespace is not used", async () => {
    const { agent, calls } = scriptedHost({ in_port: "tap-qr-1" });
    const result = await walk(context(agent), "forward", outsideToFip, []);
    expect(result.hops.map((h) => h.action)).toEqual(["routed", "switched", "dnat", "routed", "dropped"]);
    expect(result.deliveredAt).toBeNull();
    expect(result.events.at(-1)).toMatchObject({ type: "ovs-miss", toPlace: vm });
    expect(calls.at(-1)?.map((q) => q.kind)).toEqual(["ovs", "route", "route"]);
  });
});

describe("walk: what decided each hop", () => {
  it("names the rule of the resource behind a hop: a route of the router's or instance's, a floating IP's NAT", async () => {
    const ctx = context(scriptedHost().agent);
    const forward = await walk(ctx, "forward", outsideToFip, []);
    const fipNat = {
      kind: "floating_ip_nat",
      floating_ip_id: "fip1",
      floating_ip_address: "203.0.113.20",
      fixed_ip_address: "10.0.0.5",
    };
    expect(forward.hops.map((h) => h.rule)).toEqual([
      undefined, // the outside world's own route: no resource's
      undefined, // switched
      { ...fipNat, conntrack: false },
      {
        kind: "route",
        owner: "router",
        owner_id: "r1",
        destination: "10.0.0.5",
        nexthop: null,
        port_id: "port-qr",
        local: false,
      },
      undefined,
      {
        kind: "route",
        owner: "instance",
        owner_id: "vm1",
        destination: "10.0.0.5",
        nexthop: null,
        port_id: null,
        local: true,
      },
    ]);
    expect(forward.hops[3]?.where.port_id).toBe("port-qr");
    const reply = await walk(
      ctx,
      "reply",
      { place: vm, packet: { src: forward.packet.dst, dst: forward.packet.src }, srcKnown: true },
      forward.nat,
    );
    expect(reply.hops.map((h) => h.action)).toEqual([
      "routed",
      "switched",
      "routed",
      "snat",
      "switched",
      "delivered",
    ]);
    expect(reply.hops[0]?.rule).toMatchObject({
      owner: "instance",
      nexthop: "10.0.0.1",
      destination: "203.0.113.1",
    });
    expect(reply.hops[3]?.rule).toEqual({ ...fipNat, conntrack: true });
  });

  it("names the SNAT an instance leaves by: its floating IP's, else the router's gateway address", async () => {
    const ctx = context(scriptedHost().agent);
    const out = (place: Place, src: string) =>
      walk(ctx, "forward", { place, packet: { src, dst: "203.0.113.1" }, srcKnown: true }, []);
    const withFip = await out(vm, "10.0.0.5");
    expect(withFip.hops.map((h) => h.action)).toEqual([
      "routed",
      "switched",
      "routed",
      "snat",
      "switched",
      "delivered",
    ]);
    expect(withFip.hops[3]?.rule).toEqual({
      kind: "floating_ip_nat",
      floating_ip_id: "fip1",
      floating_ip_address: "203.0.113.20",
      fixed_ip_address: "10.0.0.5",
      conntrack: false,
    });
    const without = await out(vm2, "10.0.0.6");
    expect(without.hops[3]).toMatchObject({
      action: "snat",
      packet: { src: "203.0.113.10", dst: "203.0.113.1" },
      rule: { kind: "router_snat", router_id: "r1", external_ip_address: "203.0.113.10", conntrack: false },
    });
  });
});

describe("host answers", () => {
  it("asks each question once; prefetched questions ride along only when a round trip is made", async () => {
    const { agent, calls } = scriptedHost();
    const host = new HostAnswers(agent);
    const a = { kind: "route", namespace: "t-quplink", dst: "203.0.113.20" } as const;
    const b = { kind: "route", namespace: "t-qrouter", dst: "10.0.0.5" } as const;
    await host.ask([a], [b]);
    await host.ask([b, a], [{ kind: "route", namespace: "t-qprobe", dst: "10.0.0.5" }]);
    expect(calls).toEqual([[a, b]]);
    expect(host.calls).toBe(1);
    expect(host.info.host).toBe("h1");
  });

  it("knows a question whatever order its fields come in", () => {
    expect(questionKey({ kind: "route", namespace: "n", dst: "10.0.0.5", src: "10.0.0.1" })).toBe(
      questionKey({ src: "10.0.0.1", dst: "10.0.0.5", namespace: "n", kind: "route" }),
    );
  });
});

describe("walk: port forwarding", () => {
  const forwarding = [
    { chain: "PREROUTING", rule: "-A PREROUTING -j t-fip-pf", packets: 0, bytes: 0 },
    {
      chain: "t-fip-pf",
      rule: "-A t-fip-pf -d 203.0.113.30/32 -p tcp -m tcp --dport 2222 -j DNAT --to-destination 10.0.0.5:22",
      packets: 1,
      bytes: 60,
    },
  ];
  const pf = {
    id: "pf1",
    floatingIpId: "fip3",
    protocol: "tcp" as const,
    externalPortStart: 2222,
    externalPortEnd: 2222,
  };

  it("follows the fip-pf DNAT to the internal address and port, names the forwarding, and conntrack undoes it", async () => {
    const { agent, calls } = scriptedHost();
    const ctx: WalkContext = {
      ...context(agent),
      protocol: "tcp",
      port: 2222,
      nat: new Map([[router.namespace, [...nat, ...forwarding]]]),
      fipIds: new Map([["203.0.113.30", "fip3"]]),
      forwardings: [pf],
    };
    const start = { place: uplink, packet: { src: "203.0.113.1", dst: "203.0.113.30" }, srcKnown: true };
    const forward = await walk(ctx, "forward", start, []);
    expect(forward.deliveredAt).toBe(vm);
    const dnat = forward.hops.find((h) => h.action === "dnat");
    expect(dnat).toMatchObject({ where: { node_id: "fip3" }, packet: { dst: "10.0.0.5" } });
    expect(dnat?.rule).toEqual({
      kind: "port_forwarding",
      port_forwarding_id: "pf1",
      floating_ip_id: "fip3",
      floating_ip_address: "203.0.113.30",
      internal_ip_address: "10.0.0.5",
      protocol: "tcp",
      external_port: 2222,
      internal_port: 22,
      conntrack: false,
    });
    // Past the DNAT, OVS is asked about the internal port.
    const legs = calls.flat().filter((q): q is OvsQuestion => q.kind === "ovs");
    expect(legs.map((q) => q.tp_dst)).toEqual([2222, 22]);

    const reply = await walk(
      { ...ctx, port: null },
      "reply",
      { place: vm, packet: { src: forward.packet.dst, dst: forward.packet.src }, srcKnown: true },
      forward.nat,
    );
    expect(reply.hops.find((h) => h.action === "snat")?.rule).toMatchObject({
      kind: "port_forwarding",
      port_forwarding_id: "pf1",
      conntrack: true,
    });
    expect(reply.packet).toEqual({ src: "203.0.113.30", dst: "203.0.113.1" });
    // OVS is asked about the reply as conntrack has it: established, not a new connection.
    const replyLegs = calls
      .flat()
      .filter((q): q is OvsQuestion => q.kind === "ovs")
      .slice(legs.length);
    expect(replyLegs.map((q) => q.established)).toEqual([true, true]);
    expect(legs.every((q) => q.established === undefined)).toBe(true);
  });

  it("leaves another port alone: no forwarding matches, nothing is DNATed", async () => {
    const { agent } = scriptedHost();
    const ctx: WalkContext = {
      ...context(agent),
      protocol: "tcp",
      port: 2223,
      nat: new Map([[router.namespace, [...nat, ...forwarding]]]),
      fipIds: new Map([["203.0.113.30", "fip3"]]),
      forwardings: [pf],
    };
    const start = { place: uplink, packet: { src: "203.0.113.1", dst: "203.0.113.30" }, srcKnown: true };
    const forward = await walk(ctx, "forward", start, []);
    expect(forward.hops.some((h) => h.action === "dnat")).toBe(false);
    expect(forward.deliveredAt).not.toBe(vm);
  });
});
