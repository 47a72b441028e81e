// The walk across two scripted hosts: vm1 on compute1 to vm2 on compute2 through compute1's br-tun, the VXLAN
// tunnel (VNI, remote tunnel address) and compute2's br-tun from its tunnel port; and the diagnoses of a
// missing tunnel and of a host whose agent is down.
import { describe, expect, it } from "vitest";
import type { OvsQuestion, OvsTrace, RouteGet, TraceHostInfo } from "../../agent/contract/trace";
import { remoteOfTunnelPort, tunnelPortName } from "../../lib/names";
import type { InstanceRow } from "../db/schema";
import { diagnose } from "./diagnose";
import type { TraceModel } from "./facts";
import type { Place } from "./places";
import type { Endpoint } from "./resolve";
import { tunnelExits } from "./tunnel";
import { walk } from "./walk";
import { memberView, ovsTrace, scriptedHost, vmPlace, walkContext } from "./walk-across.testing";
import type { Across, HostSide, TunnelHost, WalkResult } from "./walk-state";

const hostInfo = (host: string, prefix: string): TraceHostInfo => ({
  host,
  prefix,
  integration_bridge: `${prefix}int`,
  bridge_mappings: {},
  chain_prefix: prefix,
  tunnel_bridge: `${prefix}tun`,
});

const vm1 = vmPlace("c1-qprobe-vm1", "vm1", "fa:16:3e:00:00:01", "10.0.0.5", "net");
const vm2 = vmPlace("c2-qprobe-vm2", "vm2", "fa:16:3e:00:00:02", "10.0.0.6", "net");
const VNI = 5;

const compute1: TunnelHost = {
  host: "compute1",
  local_ip: "192.168.0.1",
  tunnel_bridge: "c1-tun",
  online: true,
  last_seen: "2026-12-01T14:00:00.000Z",
};
const compute2: TunnelHost = {
  ...compute1,
  host: "compute2",
  local_ip: "192.168.0.2",
  tunnel_bridge: "c2-tun",
};

const routes: Record<string, Record<string, RouteGet>> = {
  [vm1.namespace]: {
    "10.0.0.6": { dst: "10.0.0.6", dev: "eth0", prefsrc: "10.0.0.5" },
    "10.0.0.5": { type: "local", dst: "10.0.0.5", dev: "lo" },
  },
  [vm2.namespace]: {
    "10.0.0.6": { type: "local", dst: "10.0.0.6", dev: "lo" },
    "10.0.0.5": { dst: "10.0.0.5", dev: "eth0", prefsrc: "10.0.0.6" },
  },
};

/**
 * A host's OVS as ofproto/trace reads it: from a tap, br-int's NORMAL into br-tun, whose unicast table sends a
 * remote MAC into the tunnel towards its host (when `tunnels` has one); from a tunnel port with the VNI, br-tun
 * into br-int and out of the local tap holding the destination MAC.
 */
function hostOvs(self: TunnelHost, places: Place[], tunnels: Record<string, string>) {
  return (q: OvsQuestion): OvsTrace => {
    const bridge = self.tunnel_bridge ?? "";
    if (q.in_port.startsWith("vxlan-")) {
      const local = places.flatMap((p) => p.devices).find((d) => d.mac === q.dl_dst);
      const takes = q.bridge === bridge && q.tun_id === VNI && local !== undefined;
      return ovsTrace(
        [bridge, "int"],
        [{ bridge, table: 4, text: `tun_id=0x${VNI}, priority 1`, actions: ["push_vlan:0x8100"] }],
        takes ? [local.tap] : [],
      );
    }
    const remote = tunnels[q.dl_dst];
    // As OVS 3.1 prints it: the load of the VNI, the tunnel port by number, the push named by the agent.
    const unicast = remote
      ? ["pop_vlan", `load:0x${VNI.toString(16)}->NXM_NX_TUN_ID[]`, "output:2"]
      : ["resubmit(,22)"];
    return ovsTrace(
      [q.bridge, bridge],
      [
        { bridge: q.bridge, table: 0, text: "priority 0", actions: ["NORMAL"] },
        { bridge, table: 20, text: `dl_dst=${q.dl_dst}, priority 2`, actions: unicast },
      ],
      remote ? [tunnelPortName(remote), "underlay0"] : [],
    );
  };
}

/** A scripted agent of `self` holding `places`; `fails`: every question is refused, as by an agent gone away. */
function scriptedAgent(
  self: TunnelHost,
  info: TraceHostInfo,
  ovs: (q: OvsQuestion) => OvsTrace,
  fails = false,
) {
  return scriptedHost(
    info,
    {
      route: (q) => {
        const route = routes[q.namespace]?.[q.dst];
        return route
          ? { kind: "route", ok: true, route, text: `${q.dst} dev ${route.dev}` }
          : { kind: "route", ok: false, error: "Cannot open network namespace", text: "" };
      },
      ovs,
      ports: { bridges: [info.integration_bridge, self.tunnel_bridge ?? ""], uplinks: {} },
    },
    fails,
  );
}

type Setup = {
  /** compute1's br-tun sends vm2's MAC into a tunnel (false: it has none towards compute2). */
  tunnel?: boolean;
  /** compute2 as its agent row has it. */
  second?: TunnelHost;
  /** compute2's agent refuses every question. */
  fails?: boolean;
};

function twoHosts(setup: Setup = {}) {
  const second = setup.second ?? compute2;
  const one = scriptedAgent(
    compute1,
    hostInfo("compute1", "c1-"),
    hostOvs(compute1, [vm1], setup.tunnel === false ? {} : { "fa:16:3e:00:00:02": "192.168.0.2" }),
  );
  const two = scriptedAgent(
    second,
    hostInfo("compute2", "c2-"),
    hostOvs(second, [vm2], { "fa:16:3e:00:00:01": "192.168.0.1" }),
    setup.fails,
  );
  const hosts = new Map<string, HostSide>([
    ["compute1", { host: compute1, answers: one.answers }],
    ["compute2", { host: second, answers: two.answers }],
  ]);
  const across: Across = {
    hostOf: new Map([
      [vm1.namespace, "compute1"],
      [vm2.namespace, "compute2"],
    ]),
    hosts,
    tunnelled: new Set(["net"]),
    wires: new Map(),
  };
  const context = (side: typeof one, info: TraceHostInfo) =>
    walkContext(side.answers, info, across, [vm1, vm2]);
  return {
    one,
    two,
    fromOne: () => context(one, hostInfo("compute1", "c1-")),
    fromTwo: () => context(two, hostInfo("compute2", "c2-")),
  };
}

const forward = { place: vm1, packet: { src: "10.0.0.5", dst: "10.0.0.6" }, srcKnown: true };

const instanceEnd = (place: Place, address: string): Endpoint => ({
  kind: "instance",
  address,
  instance: { id: place.node_id, name: place.node_id, portId: `port-${place.node_id}` } as InstanceRow,
  subnet_id: null,
});

/** The diagnoses of a forward walk vm1 -> vm2, from a model that says nothing else is wrong. */
function diagnosesOf(result: WalkResult) {
  const model = {
    networks: new Map(),
    subnets: new Map(),
    ports: new Map(),
    routers: new Map(),
    floatingIps: [],
    instances: new Map(),
    intentRouters: new Map(),
    uplinks: new Map(),
    filters: new Map(),
    portForwardings: [],
  } as unknown as TraceModel;
  return diagnose({
    model,
    places: {
      all: [vm1, vm2],
      instances: new Map(),
      routers: new Map(),
      uplinks: new Map(),
      dhcp: new Map(),
    },
    info: hostInfo("compute1", "c1-"),
    from: instanceEnd(vm1, "10.0.0.5"),
    to: instanceEnd(vm2, "10.0.0.6"),
    forward: result,
    reply: null,
    ports: [],
    nat: new Map(),
    crossed: [],
    mtus: new Map(),
  });
}

describe("walk across hosts", () => {
  it("goes from compute1's br-tun through the VXLAN tunnel into compute2's br-tun, and on to vm2 there", async () => {
    const { two, fromOne } = twoHosts();
    const result = await walk(await fromOne(), "forward", forward, []);
    expect(result.deliveredAt).toBe(vm2);
    expect(result.hops.map((h) => [h.where.host, h.action, h.where.interface])).toEqual([
      ["compute1", "routed", "eth0"],
      ["compute1", "switched", "tap-vm1"],
      ["compute1", "switched", "vxlan-c0a80002"],
      ["compute2", "switched", "vxlan-c0a80001"],
      ["compute2", "delivered", "eth0"],
    ]);
    expect(result.hops[2]?.decided_by.text).toContain("VXLAN to 192.168.0.2 (VNI 5) from 192.168.0.1");
    expect(result.hops[3]?.where.bridge).toBe("c2-tun -> int");
    // compute2 was asked its tunnel bridge's trace from the port towards compute1, with the VNI and outer addresses.
    const tunnelled = two.calls.flat().find((q) => q.kind === "ovs");
    expect(tunnelled).toMatchObject({
      bridge: "c2-tun",
      in_port: "vxlan-c0a80001",
      tun_id: VNI,
      tun_src: "192.168.0.1",
      tun_dst: "192.168.0.2",
      dl_dst: "fa:16:3e:00:00:02",
      nw_dst: "10.0.0.6",
    });
    // ... and the route in vm2's namespace, which compute1 was never asked for.
    expect(two.calls.flat()).toContainEqual(
      expect.objectContaining({ kind: "route", namespace: vm2.namespace }),
    );
    expect(diagnosesOf(result)).toEqual([]);
  });

  it("comes back the other way: the reply from vm2 crosses from compute2 to compute1", async () => {
    const { one, fromTwo } = twoHosts();
    const reply = { place: vm2, packet: { src: "10.0.0.6", dst: "10.0.0.5" }, srcKnown: true };
    const result = await walk(await fromTwo(), "reply", reply, []);
    expect(result.deliveredAt).toBe(vm1);
    expect(result.hops.map((h) => h.where.host)).toEqual([
      "compute2",
      "compute2",
      "compute2",
      "compute1",
      "compute1",
    ]);
    expect(one.calls.flat().find((q) => q.kind === "ovs")).toMatchObject({
      bridge: "c1-tun",
      in_port: "vxlan-c0a80002",
      tun_id: VNI,
    });
  });

  it("names tunnel-missing when compute1's br-tun sends nothing towards compute2", async () => {
    const { two, fromOne } = twoHosts({ tunnel: false });
    const result = await walk(await fromOne(), "forward", forward, []);
    expect(result.deliveredAt).toBeNull();
    expect(result.hops.at(-1)).toMatchObject({
      action: "dropped",
      where: { host: "compute1", interface: "tap-vm1" },
    });
    // compute2 is never asked about a frame that cannot get there.
    expect(two.calls.flat().filter((q) => q.kind !== "ports")).toEqual([]);
    const [found, ...others] = diagnosesOf(result);
    expect(others).toEqual([]);
    expect(found).toMatchObject({ code: "tunnel-missing", hop: `forward[${result.hops.length - 1}]` });
    expect(found?.message).toContain("host compute2");
    expect(found?.message).toContain(
      "host compute1 sends nothing into a VXLAN tunnel towards compute2 (192.168.0.2)",
    );
    expect(found?.fix).toContain("netlens drift repair");
    expect(found?.fix).toContain("--local-ip 192.168.0.2");
  });

  it("names the host without a tunnel endpoint when compute2 has no --local-ip", async () => {
    const { fromOne } = twoHosts({ second: { ...compute2, local_ip: null, tunnel_bridge: null } });
    const result = await walk(await fromOne(), "forward", forward, []);
    const [found] = diagnosesOf(result);
    expect(found?.code).toBe("tunnel-missing");
    expect(found?.message).toContain("host compute2 has no tunnel endpoint");
    expect(found?.fix).toContain("Start the agent of compute2 with --local-ip");
  });

  it("names host-down, with when the host was last seen, when compute2's agent is offline", async () => {
    const { two, fromOne } = twoHosts({ second: { ...compute2, online: false } });
    const result = await walk(await fromOne(), "forward", forward, []);
    expect(result.deliveredAt).toBeNull();
    expect(result.hops.at(-1)).toMatchObject({ action: "dropped", where: { host: "compute2" } });
    expect(result.hops.at(-1)?.decided_by.text).toContain("agent of host compute2 does not answer");
    // An offline host is not asked.
    expect(two.calls).toEqual([]);
    const [found] = diagnosesOf(result);
    expect(found).toMatchObject({ code: "host-down", hop: `forward[${result.hops.length - 1}]` });
    expect(found?.message).toContain("host compute2");
    expect(found?.message).toContain("last seen 2026-12-01T14:00:00.000Z");
  });

  it("takes an agent that fails the question for a host that is down, in its own words", async () => {
    const { fromOne } = twoHosts({ fails: true });
    const result = await walk(await fromOne(), "forward", forward, []).catch((e: unknown) => e);
    expect(result).not.toBeInstanceOf(Error);
    const walked = result as WalkResult;
    expect(walked.hops.at(-1)?.decided_by.text).toContain("ECONNREFUSED");
    expect(diagnosesOf(walked).map((d) => d.code)).toEqual(["host-down"]);
  });
});

describe("a member's view of a trace across hosts", () => {
  it("shows the path without the hosts, their tunnel addresses, bridges or ports", async () => {
    const { fromOne } = twoHosts({ tunnel: false });
    const dropped = await walk(await fromOne(), "forward", forward, []);
    const { fromOne: again } = twoHosts();
    const delivered = await walk(await again(), "forward", forward, []);
    // The dropped walk, with its diagnoses; the delivered one stands in for the reply's hops.
    const view = memberView([vm1, vm2], "net", {
      verdict: "dropped",
      forward: dropped.hops,
      reply: delivered.hops,
      diagnoses: diagnosesOf(dropped),
    });
    expect(view.reply.map((h) => h.decided_by.text)).toContain("switched on network net");
    expect(view.diagnoses).toEqual([expect.objectContaining({ code: "tunnel-missing", hop: "forward[1]" })]);
    const text = JSON.stringify(view);
    for (const secret of ["compute1", "compute2", "192.168.0", "vxlan-", "c1-", "c2-", "VNI", "drift repair"])
      expect(text, secret).not.toContain(secret);
  });
});

describe("tunnel exits", () => {
  it("reads the VNI a load sets and the tunnels among the outputs (the flood table sends to several)", () => {
    const trace = ovsTrace(
      ["br-int", "br-tun", "br-phy"],
      [
        {
          bridge: "br-tun",
          table: 22,
          text: "dl_vlan=3, priority 1",
          actions: ["strip_vlan", "load:0x3e8->NXM_NX_TUN_ID[]", "output:2", "output:3"],
        },
      ],
      ["vxlan-0a000102", "vxlan-0a000103", "underlay0"],
    );
    expect(tunnelExits(trace)).toEqual([
      { port: "vxlan-0a000102", remote_ip: "10.0.1.2", vni: 1000 },
      { port: "vxlan-0a000103", remote_ip: "10.0.1.3", vni: 1000 },
    ]);
  });

  it("turns a tunnel port's name back into the address it was named after", () => {
    for (const ip of ["192.168.0.1", "10.255.0.17", "0.0.0.0"])
      expect(remoteOfTunnelPort(tunnelPortName(ip))).toBe(ip);
    expect(remoteOfTunnelPort("patch-int")).toBeNull();
  });
});
