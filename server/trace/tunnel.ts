// The OVS leg between two hosts: host A's ofproto/trace leaves its tunnel bridge by a `vxlan-…` port with the
// network's VNI in tun_id; host B's tunnel bridge takes it in from its port towards A with that tun_id and
// hands it to its integration bridge, which switches it to the receiver's tap. What stops the frame on the way
// is named: A has no tunnel port towards B (`tunnel-missing`), or B's agent cannot be asked (`host-down`). PURE.
import type { OvsQuestion, OvsTrace, TraceAnswer } from "../../agent/contract/trace";
import { remoteOfTunnelPort, tunnelPortName } from "../../lib/names";
import { ovsText } from "./leg";
import type { Trail } from "./trail";
import type { TunnelHost, WalkEvent } from "./walk-state";

/** Where host A's trace sends the frame into a tunnel: the port, the remote address it names, the VNI set. */
export type TunnelExit = { port: string; remote_ip: string; vni: number | null };

/** `load:0x5->NXM_NX_TUN_ID[]` (as ofproto/trace prints br-tun's flows) or `set_field:0x5->tun_id`. */
function vniOf(action: string): number | null {
  const set = /^(?:load|set_field):(0x[0-9a-f]+|\d+)->(?:NXM_NX_TUN_ID\[\]|tun_id)$/.exec(action)?.[1];
  return set === undefined ? null : Number(set);
}

/**
 * The tunnels OVS sends the frame into: the `vxlan-…` ports among its outputs (the agent names a tunnel push
 * after its remote address: ofproto/trace prints port numbers), with the VNI br-tun's flows set last.
 */
export function tunnelExits(trace: OvsTrace): TunnelExit[] {
  const vni = trace.rules
    .flatMap((r) => r.actions)
    .reduce<number | null>((last, action) => vniOf(action) ?? last, null);
  return trace.outputs.flatMap((port) => {
    const remote_ip = remoteOfTunnelPort(port);
    return remote_ip === null ? [] : [{ port, remote_ip, vni }];
  });
}

/**
 * Host B's question: its tunnel bridge's ofproto/trace of the frame as the tunnel from A delivers it (in_port
 * the VXLAN port towards A, the VNI, the outer addresses), the inner frame as A sent it. Null: B cannot take it
 * in (no tunnel bridge or address on either side: the reason is the leg's error).
 */
export function tunnelQuestion(
  sent: OvsQuestion,
  exit: TunnelExit,
  from: TunnelHost,
  to: TunnelHost,
): { question: OvsQuestion; error: null } | { question: null; error: string } {
  if (to.tunnel_bridge === null)
    return {
      question: null,
      error: `host ${to.host} has no tunnel bridge: its agent runs without --local-ip`,
    };
  if (from.local_ip === null)
    return { question: null, error: `host ${from.host} has no tunnel endpoint (--local-ip)` };
  if (exit.vni === null)
    return { question: null, error: `the flow to ${exit.port} on host ${from.host} sets no VNI` };
  const { kind, protocol, dl_src, dl_dst, nw_src, nw_dst, tp_dst, established } = sent;
  return {
    error: null,
    question: {
      kind,
      bridge: to.tunnel_bridge,
      in_port: tunnelPortName(from.local_ip),
      tun_id: exit.vni,
      tun_src: from.local_ip,
      tun_dst: exit.remote_ip,
      protocol,
      dl_src,
      dl_dst,
      nw_src,
      nw_dst,
      ...(tp_dst === undefined ? {} : { tp_dst }),
      ...(established === undefined ? {} : { established }),
    },
  };
}

/** The two sides of a leg between hosts: the hosts, the receiver's tap on B, the network and the port. */
export type HostsLeg = {
  from: TunnelHost;
  to: TunnelHost;
  target: string;
  network_id: string;
  port_id: string | null;
};

/** Host A's side of the leg: the tunnel towards B it leaves by, or the event that stops the frame on A. */
export function leaveHost(
  leg: HostsLeg,
  trace: OvsTrace,
  hop: number,
): { exit: TunnelExit } | { event: WalkEvent } {
  const exits = tunnelExits(trace);
  const exit = exits.find((e) => e.remote_ip === leg.to.local_ip);
  if (exit !== undefined) return { exit };
  return {
    event: {
      type: "tunnel-missing",
      hop,
      from: leg.from,
      to: leg.to,
      tunnels: exits.map((e) => e.remote_ip),
    },
  };
}

/**
 * Records the tunnel between the hosts: "VXLAN to <remote> (VNI n)" on A, then B's trace of the frame from its
 * tunnel port (`answer`), or why there is none (`error`; B offline: `host-down`). False when the frame does
 * not reach the receiver's tap on B.
 */
export function crossTunnel(
  trail: Trail,
  leg: HostsLeg,
  exit: TunnelExit,
  arrived: { answer: TraceAnswer | undefined; error: string | null },
): boolean {
  const { from, to } = leg;
  const vni = exit.vni === null ? "no VNI" : `VNI ${exit.vni}`;
  trail.hop(
    { bridge: from.tunnel_bridge ?? undefined, interface: exit.port, node_id: leg.network_id },
    {
      action: "switched",
      decided_by: {
        kind: "ovs_flow",
        text: `VXLAN to ${exit.remote_ip} (${vni}) from ${from.local_ip ?? "no local_ip"}: host ${from.host} -> host ${to.host}`,
      },
    },
    null,
  );
  return arriveOn(trail, leg, arrived, {
    bridge: to.tunnel_bridge,
    port: from.local_ip === null ? exit.port : tunnelPortName(from.local_ip),
  });
}

/**
 * Records B's side of a leg between hosts: its trace of the frame from the port it came in by (`entry`: the
 * tunnel port, or the physical bridge's uplink), or why there is none (B offline: `host-down`). False when the
 * frame does not reach the receiver's tap on B.
 */
export function arriveOn(
  trail: Trail,
  leg: HostsLeg,
  arrived: { answer: TraceAnswer | undefined; error: string | null },
  entry: { bridge: string | null; port: string },
): boolean {
  const { to } = leg;
  trail.onHost(to.host);
  const { answer } = arrived;
  const trace = answer?.kind === "ovs" && answer.ok ? answer.trace : null;
  const reached = trace?.outputs.includes(leg.target) ?? false;
  const why = answer?.kind === "ovs" && !answer.ok ? answer.error : arrived.error;
  const failed = to.online
    ? (why ?? "no trace")
    : `the agent of host ${to.host} does not answer (last seen ${to.last_seen ?? "never"})${why === null ? "" : `: ${why}`}`;
  const index = trail.hop(
    {
      bridge: trace?.bridges.join(" -> ") ?? entry.bridge ?? undefined,
      interface: entry.port,
      node_id: leg.network_id,
      ...(leg.port_id === null ? {} : { port_id: leg.port_id }),
    },
    {
      action: reached ? "switched" : "dropped",
      decided_by: { kind: "ovs_flow", text: trace === null ? failed : ovsText(trace, leg.target) },
      ...(trace?.vlan === null || trace === null ? {} : { vlan: trace.vlan }),
    },
    // Probe mode captures on the sender's host only.
    null,
  );
  if (!to.online) trail.event({ type: "host-down", hop: index, host: to });
  return reached;
}
