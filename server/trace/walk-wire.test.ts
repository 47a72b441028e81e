// The walk across two scripted hosts over a provider network: vm1 on compute1 to vm2 on compute2 out of
// compute1's physical bridge for `public` (br-ex) by its uplink onto the wire, tagged with the vlan network's
// segment (untagged on a flat one), into compute2's own bridge for `public` (br-prov) from its uplink; the drop
// when compute1 puts the frame on no uplink; a member's view without hosts, bridges or VLAN ids.
import { describe, expect, it } from "vitest";
import type { OvsQuestion, OvsTrace, TraceHostInfo } from "../../agent/contract/trace";
import type { Place } from "./places";
import { walk } from "./walk";
import { memberView, ovsTrace, scriptedHost, vmPlace, walkContext } from "./walk-across.testing";
import type { Across, HostSide, TunnelHost, Wire } from "./walk-state";

const SEGMENT = 2101;

const vm1 = vmPlace("c1-qprobe-vm1", "vm1", "fa:16:3e:00:00:01", "10.21.0.5", "pnet");
const vm2 = vmPlace("c2-qprobe-vm2", "vm2", "fa:16:3e:00:00:02", "10.21.0.6", "pnet");

/** A host: its name, its bridge for `public` and that bridge's uplink, the places it holds. */
type Side = { host: string; prefix: string; bridge: string; uplink: string; places: Place[] };
const compute1: Side = { host: "compute1", prefix: "c1-", bridge: "br-ex", uplink: "public0", places: [vm1] };
const compute2: Side = { host: "compute2", prefix: "c2-", bridge: "br-prov", uplink: "eth1", places: [vm2] };

const info = (side: Side): TraceHostInfo => ({
  host: side.host,
  prefix: side.prefix,
  integration_bridge: "br-int",
  bridge_mappings: { public: side.bridge },
  chain_prefix: side.prefix,
  tunnel_bridge: "br-tun",
});

const NORMAL = (bridge: string) => [{ bridge, table: 0, text: "priority 0", actions: ["NORMAL"] }];

/**
 * A host's OVS as ofproto/trace reads it: from a tap, br-int's NORMAL into the physical bridge and out of its
 * uplink, tagged with `segment` (unless `putsOnWire` is false); from the uplink with that tag (or none on a flat
 * network), the physical bridge into br-int and out of the local tap holding the destination MAC.
 */
function hostOvs(side: Side, wire: Wire, putsOnWire: boolean) {
  return (q: OvsQuestion): OvsTrace => {
    if (q.in_port === side.uplink) {
      const local = side.places.flatMap((p) => p.devices).find((d) => d.mac === q.dl_dst);
      const takes =
        q.bridge === side.bridge && q.dl_vlan === (wire.segment ?? undefined) && local !== undefined;
      return ovsTrace([side.bridge, "br-int"], NORMAL(side.bridge), takes ? [local.tap] : [], null);
    }
    return ovsTrace(["br-int", side.bridge], NORMAL("br-int"), putsOnWire ? [side.uplink] : [], wire.segment);
  };
}

function scriptedAgent(side: Side, wire: Wire, putsOnWire = true) {
  const [place] = side.places;
  const own = place?.devices[0]?.addresses[0] ?? "";
  return scriptedHost(info(side), {
    route: (q) =>
      q.dst === own
        ? { kind: "route", ok: true, route: { type: "local", dst: q.dst, dev: "lo" }, text: "local" }
        : { kind: "route", ok: true, route: { dst: q.dst, dev: "eth0", prefsrc: own }, text: "eth0" },
    ovs: hostOvs(side, wire, putsOnWire),
    ports: { bridges: ["br-int", side.bridge], uplinks: { [side.bridge]: [side.uplink] } },
  });
}

const tunnelHost = (side: Side): TunnelHost => ({
  host: side.host,
  local_ip: null,
  tunnel_bridge: null,
  online: true,
  last_seen: null,
});

/** vm1's walk to vm2 across the two hosts over `wire`. */
async function across(wire: Wire, putsOnWire = true) {
  const one = scriptedAgent(compute1, wire, putsOnWire);
  const two = scriptedAgent(compute2, wire);
  const hosts = new Map<string, HostSide>([
    ["compute1", { host: tunnelHost(compute1), answers: one.answers }],
    ["compute2", { host: tunnelHost(compute2), answers: two.answers }],
  ]);
  const view: Across = {
    hostOf: new Map([
      [vm1.namespace, "compute1"],
      [vm2.namespace, "compute2"],
    ]),
    hosts,
    tunnelled: new Set(),
    wires: new Map([["pnet", wire]]),
  };
  const ctx = await walkContext(one.answers, info(compute1), view, [vm1, vm2]);
  const start = { place: vm1, packet: { src: "10.21.0.5", dst: "10.21.0.6" }, srcKnown: true };
  return { result: await walk(ctx, "forward", start, []), two };
}

const vlan: Wire = { physical_network: "public", segment: SEGMENT };
const flat: Wire = { physical_network: "public", segment: null };

describe("walk across hosts over a provider network", () => {
  it("leaves compute1's br-ex by its uplink with the VLAN id and enters compute2's br-prov by its own", async () => {
    const { result, two } = await across(vlan);
    expect(result.deliveredAt).toBe(vm2);
    expect(result.hops.map((h) => [h.where.host, h.action, h.where.bridge, h.where.interface])).toEqual([
      ["compute1", "routed", undefined, "eth0"],
      ["compute1", "switched", "br-int -> br-ex", "tap-vm1"],
      ["compute1", "switched", "br-ex", "public0"],
      ["compute2", "switched", "br-prov -> br-int", "eth1"],
      ["compute2", "delivered", undefined, "eth0"],
    ]);
    expect(result.hops[2]?.decided_by.text).toBe(
      `onto physical network public, VLAN ${SEGMENT}: host compute1 -> host compute2`,
    );
    expect(result.hops[2]?.vlan).toBe(SEGMENT);
    // compute2 was asked its own bridge's trace from its uplink, with the segment's tag and no tunnel fields.
    const asked = two.calls.flat().find((q) => q.kind === "ovs");
    expect(asked).toEqual(
      expect.objectContaining({
        bridge: "br-prov",
        in_port: "eth1",
        dl_vlan: SEGMENT,
        dl_dst: "fa:16:3e:00:00:02",
      }),
    );
    expect(asked).not.toHaveProperty("tun_id");
  });

  it("crosses a flat network untagged", async () => {
    const { result, two } = await across(flat);
    expect(result.deliveredAt).toBe(vm2);
    expect(result.hops[2]?.decided_by.text).toBe(
      "onto physical network public, untagged (flat): host compute1 -> host compute2",
    );
    expect(result.hops[2]?.vlan).toBeUndefined();
    expect(two.calls.flat().find((q) => q.kind === "ovs")).not.toHaveProperty("dl_vlan");
  });

  it("stops on compute1 when its bridge puts the frame on none of its uplinks; compute2 is not asked", async () => {
    const { result, two } = await across(vlan, false);
    expect(result.deliveredAt).toBeNull();
    expect(result.hops.at(-1)).toMatchObject({
      action: "dropped",
      where: { host: "compute1", interface: "tap-vm1" },
    });
    expect(two.calls.flat().filter((q) => q.kind === "ovs")).toEqual([]);
  });

  it("shows a member the path without the hosts, their bridges, uplinks or the VLAN id", async () => {
    const { result } = await across(vlan);
    const view = memberView([vm1, vm2], "pnet", {
      verdict: "delivered",
      forward: result.hops,
      reply: [],
      diagnoses: [],
    });
    expect(view.forward.map((h) => h.decided_by.text)).toContain("switched on network pnet");
    const text = JSON.stringify(view);
    for (const secret of [
      "compute1",
      "compute2",
      "br-ex",
      "br-prov",
      "public0",
      "eth1",
      "VLAN",
      String(SEGMENT),
    ])
      expect(text, secret).not.toContain(secret);
  });
});
