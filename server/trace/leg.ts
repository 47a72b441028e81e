// The OVS leg between two namespaces: the frame leaves the sender's device by its tap, and `ofproto/trace` from
// that OVS port says whether it comes out at the receiver's tap (NORMAL switching, tags pushed and popped, patch
// ports between the integration and physical bridges).
import type { OvsQuestion, OvsTrace, TraceAnswer } from "../../agent/contract/trace";
import type { DecidedBy } from "../../lib/schemas/trace";
import type { NsDevice, Place } from "./places";
import type { Trail } from "./trail";
import type { Packet, WalkContext } from "./walk-state";

/** The OVS leg into the next namespace: asked together with that namespace's first question. */
export type Leg = {
  question: OvsQuestion | null;
  /** Why there is no question (no bridge mapping, unknown MAC). */
  error: string | null;
  from: NsDevice;
  to: { place: Place; device: NsDevice };
  bridge: string | null;
  tag: number | null;
};

function macOf(ctx: WalkContext, place: Place, device: NsDevice): string | null {
  return device.mac ?? ctx.macs.get(`${place.namespace}/${device.name}`) ?? null;
}

function bridgeOf(ctx: WalkContext, device: NsDevice): string | null {
  if (device.physical_network === null) return ctx.info.integration_bridge;
  return ctx.info.bridge_mappings[device.physical_network] ?? null;
}

/**
 * The ofproto/trace question for the packet leaving `device` toward `next`, from the sender's OVS port; `reply`:
 * the traced connection's reply, which conntrack reports established.
 */
export function switchLeg(
  ctx: WalkContext,
  place: Place,
  device: NsDevice,
  next: { place: Place; device: NsDevice },
  packet: Packet,
  reply: boolean,
): Leg {
  const bridge = bridgeOf(ctx, device);
  const srcMac = macOf(ctx, place, device);
  const dstMac = macOf(ctx, next.place, next.device);
  const port = ctx.ports.find((p) => p.name === device.tap);
  const leg = { from: device, to: next, bridge, tag: port?.tag ?? null };
  if (bridge === null)
    return {
      ...leg,
      question: null,
      error: `physical network ${device.physical_network} has no bridge mapping on host ${ctx.info.host}`,
    };
  if (srcMac === null || dstMac === null)
    return {
      ...leg,
      question: null,
      error: `the MAC address of ${srcMac === null ? device.name : next.device.name} is unknown`,
    };
  return {
    ...leg,
    error: null,
    question: {
      kind: "ovs",
      bridge: port?.bridge ?? bridge,
      in_port: device.tap,
      protocol: ctx.protocol,
      dl_src: srcMac,
      dl_dst: dstMac,
      nw_src: packet.src,
      nw_dst: packet.dst,
      ...(ctx.port === null ? {} : { tp_dst: ctx.port }),
      // The reply of the traced connection: conntrack has it as established.
      ...(reply ? { established: true } : {}),
    },
  };
}

/**
 * Records the leg, switched or dropped, from OVS's answer (none: the leg had no question to ask); watched where
 * the frame should arrive. False when the packet died there.
 */
export function crossLeg(trail: Trail, leg: Leg, answer: TraceAnswer | undefined): boolean {
  let trace: OvsTrace | null = null;
  let error = leg.error;
  if (answer?.kind === "ovs") {
    if (answer.ok) trace = answer.trace;
    else error = answer.error;
  }
  const { place, device } = leg.to;
  const reached = trace?.outputs.includes(device.tap) ?? false;
  const decided_by: DecidedBy = {
    kind: "ovs_flow",
    text: trace ? ovsText(trace, device.tap) : (error ?? "no trace"),
  };
  const index = trail.hop(
    {
      bridge: trace?.bridges.join(" -> ") ?? leg.bridge ?? undefined,
      interface: leg.from.tap,
      node_id: leg.from.network_id,
      ...(leg.from.port_id === null ? {} : { port_id: leg.from.port_id }),
    },
    { action: reached ? "switched" : "dropped", decided_by, vlan: leg.tag ?? trace?.vlan ?? undefined },
    { namespace: place.namespace, interface: device.name },
  );
  if (!reached)
    trail.event({ type: "ovs-miss", hop: index, from: leg.from, to: device, toPlace: place, trace, error });
  return reached;
}

/** OVS's rules for the frame, where it goes out, and whether that is `target`. */
export function ovsText(trace: OvsTrace, target: string): string {
  const lines = trace.rules.map(
    (r) => `${r.bridge} table ${r.table}: ${r.text} -> ${r.actions.join(", ") || "(no action)"}`,
  );
  const outputs = trace.outputs.filter((o) => !trace.bridges.includes(o));
  const notes = [...new Set(trace.notes)];
  if (notes.length > 0) lines.push(notes.join("; "));
  lines.push(outputs.length > 0 ? `out: ${outputs.join(", ")}` : "out: none (dropped)");
  if (!outputs.includes(target)) lines.push(`does not reach ${target}`);
  return lines.join("\n");
}
