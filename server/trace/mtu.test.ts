// The MTUs of a traced path: the devices it crosses (in and out), the path's MTU the probe sends, and
// mtu-mismatch for a device whose MTU on the host is not its network's, named at the first hop that crosses it.
import { describe, expect, it } from "vitest";
import type { Hop } from "../../lib/schemas/trace";
import { crossings, mtuMismatches, pathMtu } from "./mtu";
import type { NsDevice, Place } from "./places";
import type { WalkResult } from "./walk-state";

const device = (name: string, network: string, tap: string): NsDevice => ({
  name,
  mac: null,
  network_id: network,
  tap,
  physical_network: null,
  port_id: null,
  addresses: [],
});

// vm1 (net, 1400) -- router (qr on net, qg on ext 1500) -- outside
const vm: Place = {
  kind: "instance",
  namespace: "t-qprobe",
  node_id: "vm1",
  devices: [device("eth0", "net", "tap-vm1")],
};
const router: Place = {
  kind: "router",
  namespace: "t-qrouter",
  node_id: "r1",
  devices: [
    device("qg-1", "ext", "tap-qg"),
    device("qr-1", "net", "tap-qr"),
    device("qr-2", "other", "tap-qr2"),
  ],
};
const uplink: Place = {
  kind: "uplink",
  namespace: "t-quplink",
  node_id: "ext",
  devices: [device("eth0", "ext", "upl")],
};

const model = {
  networks: new Map([
    ["net", { id: "net", name: "net", mtu: 1400 }],
    ["ext", { id: "ext", name: "ext", mtu: 1500 }],
    ["other", { id: "other", name: "other", mtu: 1300 }],
  ]),
  instances: new Map([["vm1", { name: "vm1" }]]),
  routers: new Map([["r1", { row: { name: "r1" } }]]),
};

const hop = (namespace: string | undefined, iface: string | undefined, action: Hop["action"]): Hop => ({
  where: {
    host: "h1",
    node_id: "x",
    ...(namespace ? { namespace } : {}),
    ...(iface ? { interface: iface } : {}),
  },
  action,
  packet: { src: "10.0.0.5", dst: "203.0.113.1" },
  decided_by: { kind: "route", text: "" },
});

// vm1 -> outside: routed out of eth0, switched, routed in the router (in by qr-1, out by qg-1), switched, left.
const forward: WalkResult = {
  hops: [
    hop("t-qprobe", "eth0", "routed"),
    hop(undefined, undefined, "switched"),
    hop("t-qrouter", "qg-1", "routed"),
    hop(undefined, undefined, "switched"),
    hop("t-quplink", "eth0", "delivered"),
  ],
  events: [
    {
      type: "routed",
      hop: 2,
      place: router,
      packet: { src: "10.0.0.5", dst: "203.0.113.1" },
      route: {},
      oif: "qg-1",
      iif: "qr-1",
    },
  ],
  deliveredAt: uplink,
  packet: { src: "10.0.0.5", dst: "203.0.113.1" },
  nat: [],
  points: [],
};

describe("path MTU", () => {
  const crossed = crossings([vm, router, uplink], { forward, reply: null });

  it("crosses the devices the hops name and the one a routed packet came in by, not the router's others", () => {
    expect(crossed.map((c) => `${c.place.namespace}/${c.device.name} ${c.hop}`)).toEqual([
      "t-qprobe/eth0 forward[0]",
      "t-qrouter/qg-1 forward[2]",
      "t-quplink/eth0 forward[4]",
      "t-qrouter/qr-1 forward[2]",
    ]);
  });

  it("is the smallest MTU of the networks crossed", () => {
    expect(pathMtu(model, crossed)).toBe(1400);
    expect(pathMtu(model, [])).toBeUndefined();
  });

  it("names a device whose MTU is not its network's, at the hop that crosses it, with the command that fixes it", () => {
    const observed = new Map([
      ["t-qprobe/eth0", 1500],
      ["t-qrouter/qg-1", 1500],
      ["t-qrouter/qr-1", 1300],
      ["t-qrouter/qr-2", 1200], // not on the path: not named
    ]);
    const found = mtuMismatches(model, crossed, observed);
    expect(found.map((d) => [d.code, d.hop])).toEqual([
      ["mtu-mismatch", "forward[0]"],
      ["mtu-mismatch", "forward[2]"],
    ]);
    expect(found[0]?.message).toBe(
      "eth0 of instance vm1 has MTU 1500, but its network net has MTU 1400: packets of 1401 to 1500 bytes it sends are dropped by its veth peer tap-vm1 (MTU 1400), without an ICMP error.",
    );
    expect(found[0]?.fix).toMatch(
      /^Give the device its network's MTU again: ip netns exec t-qprobe ip link set eth0 mtu 1400\. /,
    );
    expect(found[0]?.fix).toMatch(/netlens network set net --mtu 1500/);
    expect(found[1]?.message).toMatch(
      /^qr-1 of router r1 has MTU 1300, but its network net has MTU 1400: packets of 1301 to 1400 bytes/,
    );
  });

  it("names nothing when every device has its network's MTU, or was not read", () => {
    const observed = new Map([
      ["t-qprobe/eth0", 1400],
      ["t-qrouter/qg-1", 1500],
      ["t-qrouter/qr-1", 1400],
    ]);
    expect(mtuMismatches(model, crossed, observed)).toEqual([]);
  });
});
