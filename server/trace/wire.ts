// The OVS leg between two hosts over a provider network (flat or vlan): host A's ofproto/trace leaves the
// physical bridge A maps the network's physical network to (Neutron's bridge_mappings) by one of its uplinks onto
// the wire, tagged with the network's segment on a vlan network, untagged on a flat one; host B's own physical
// bridge takes it in from its uplink with that tag and hands it to its integration bridge, which switches it to
// the receiver's tap. What stops the frame on the way is told in the hop: no bridge mapping, no uplink. PURE.
import type { OvsQuestion, OvsTrace, TraceHostInfo } from "../../agent/contract/trace";
import type { Trail } from "./trail";
import { arriveOn, type HostsLeg } from "./tunnel";
import type { Wire } from "./walk-state";

/** Where host A's trace sends the frame onto the wire: its physical bridge and the uplink port. */
export type WireExit = { bridge: string; port: string };

/** A host's side of the wire: its physical bridge for the network's physical network and that bridge's uplinks. */
export type WireSide = { bridge: string | null; uplinks: string[] };

/** The host's side of `wire` from what its agent says of itself and its ports' answer. */
export function wireSide(
  info: TraceHostInfo,
  uplinks: Readonly<Record<string, string[]>>,
  wire: Wire,
): WireSide {
  const bridge = info.bridge_mappings[wire.physical_network] ?? null;
  return { bridge, uplinks: bridge === null ? [] : (uplinks[bridge] ?? []) };
}

/** Why the host cannot put the frame on the wire or take it in: no bridge for the physical network, no uplink. */
function sideError(side: WireSide, host: string, wire: Wire): string | null {
  if (side.bridge === null)
    return `host ${host} maps physical network ${wire.physical_network} to no bridge (bridge_mappings)`;
  if (side.uplinks.length === 0)
    return `bridge ${side.bridge} of host ${host} has no uplink port onto physical network ${wire.physical_network}`;
  return null;
}

/** The uplink A's trace sends the frame out by (the first, when it floods to several), or why there is none. */
export function wireExit(
  trace: OvsTrace,
  side: WireSide,
  host: string,
  wire: Wire,
): { exit: WireExit } | { error: string } {
  const error = sideError(side, host, wire);
  if (error !== null || side.bridge === null) return { error: error ?? "" };
  const port = trace.outputs.find((o) => side.uplinks.includes(o));
  if (port !== undefined) return { exit: { bridge: side.bridge, port } };
  return {
    error: `host ${host} sends the frame out by none of ${side.bridge}'s uplinks (${side.uplinks.join(", ")})`,
  };
}

/**
 * Host B's question: its physical bridge's ofproto/trace of the frame as the wire brings it in by B's uplink,
 * with the segment's tag on a vlan network. Null: B cannot take it in (the reason is the error).
 */
export function wireQuestion(
  sent: OvsQuestion,
  wire: Wire,
  to: WireSide,
  host: string,
): { question: OvsQuestion; error: null } | { question: null; error: string } {
  const [uplink] = to.uplinks;
  const error = sideError(to, host, wire);
  if (error !== null || to.bridge === null || uplink === undefined)
    return { question: null, error: error ?? "" };
  return {
    error: null,
    question: {
      ...sent,
      bridge: to.bridge,
      in_port: uplink,
      ...(wire.segment === null ? {} : { dl_vlan: wire.segment }),
    },
  };
}

/**
 * Records the wire between the hosts: "physical network P, VLAN n" (or untagged) out of A's uplink, then B's
 * trace of the frame from its own uplink. False when the frame does not reach the receiver's tap on B.
 */
export function crossWire(
  trail: Trail,
  leg: HostsLeg,
  wire: Wire,
  exit: WireExit,
  arrived: Parameters<typeof arriveOn>[2] & { entry: WireSide },
): boolean {
  const tag = wire.segment === null ? "untagged (flat)" : `VLAN ${wire.segment}`;
  trail.hop(
    { bridge: exit.bridge, interface: exit.port, node_id: leg.network_id },
    {
      action: "switched",
      decided_by: {
        kind: "ovs_flow",
        text: `onto physical network ${wire.physical_network}, ${tag}: host ${leg.from.host} -> host ${leg.to.host}`,
      },
      ...(wire.segment === null ? {} : { vlan: wire.segment }),
    },
    null,
  );
  return arriveOn(trail, leg, arrived, {
    bridge: arrived.entry.bridge,
    port: arrived.entry.uplinks[0] ?? exit.port,
  });
}
