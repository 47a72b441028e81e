// The walk's round trips for a leg between hosts: host A's ofproto/trace from the sender's tap (it should leave
// by the VXLAN port towards B, or on a flat or vlan network by its physical bridge's uplink onto the wire), then
// host B's of its tunnel bridge from the port towards A (or of its physical bridge from its own uplink), with B's
// OVS ports; the walk goes on on B with B's answers. tunnel.ts and wire.ts say what each answer means.
import type { OvsQuestion, OvsTrace, TraceAnswer, TracePort } from "../../agent/contract/trace";
import { conflict } from "../domain/errors";
import { type Leg, ovsText } from "./leg";
import type { Trail } from "./trail";
import { crossTunnel, type HostsLeg, leaveHost, type TunnelExit, tunnelQuestion } from "./tunnel";
import type { HostSide, WalkContext, WalkEvent, Wire } from "./walk-state";
import { crossWire, type WireExit, type WireSide, wireExit, wireQuestion, wireSide } from "./wire";

/** The host the leg's receiver is on, when it is not the one the walk is on. */
export function otherHost(ctx: WalkContext, leg: Leg): HostSide | null {
  const name = ctx.across?.hostOf.get(leg.to.place.namespace);
  if (name === undefined || name === ctx.info.host) return null;
  return ctx.across?.hosts.get(name) ?? null;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

const PORTS = { kind: "ports" } as const;

/** A host's OVS ports and its physical bridges' uplinks, from its ports answer (none when it failed). */
function portsOf(answer: TraceAnswer | undefined): { ports: TracePort[]; uplinks: Record<string, string[]> } {
  return answer?.kind === "ports" && answer.ok
    ? { ports: answer.ports, uplinks: answer.uplinks }
    : { ports: [], uplinks: {} };
}

/** How the frame leaves A towards B: into a VXLAN tunnel, or onto a provider network's wire. */
type Exit = { tunnel: TunnelExit } | { wire: Wire; at: WireExit };

/** A's side: the port it sends the frame out by towards B, or the event that stops the frame on A. */
function leaveA(
  ctx: WalkContext,
  leg: Leg,
  hostsLeg: HostsLeg,
  trace: OvsTrace,
  uplinks: Record<string, string[]>,
): { exit: Exit; port: string } | { event: WalkEvent } {
  const wire = ctx.across?.wires.get(hostsLeg.network_id);
  if (wire === undefined) {
    const left = leaveHost(hostsLeg, trace, 0);
    return "exit" in left ? { exit: { tunnel: left.exit }, port: left.exit.port } : left;
  }
  const left = wireExit(trace, wireSide(ctx.info, uplinks, wire), ctx.info.host, wire);
  if ("exit" in left) return { exit: { wire, at: left.exit }, port: left.exit.port };
  const { place, device } = leg.to;
  return {
    event: { type: "ovs-miss", hop: 0, from: leg.from, to: device, toPlace: place, trace, error: left.error },
  };
}

/**
 * Crosses `leg` (asked on the walk's host A) to host `to`: records A's hop, the tunnel or the wire and B's; the
 * context on B and whether the frame reached the receiver's tap there, or null when it never got to B.
 */
export async function crossHosts(
  ctx: WalkContext,
  trail: Trail,
  leg: Leg,
  to: HostSide,
): Promise<{ ctx: WalkContext; reached: boolean } | null> {
  const network = leg.from.network_id;
  if (ctx.across?.tunnelled.has(network) !== true && ctx.across?.wires.has(network) !== true)
    throw conflict(
      `The path crosses from host ${ctx.info.host} to host ${to.host.host} on network ${network}, which is neither a VXLAN nor a flat or vlan network: the trace cannot follow it between hosts`,
    );
  const from = ctx.across?.hosts.get(ctx.info.host)?.host;
  const question = leg.question;
  const [portsAnswer, sent] = question ? await ctx.host.ask([PORTS, question]) : [];
  const trace = sent?.kind === "ovs" && sent.ok ? sent.trace : null;
  const hostsLeg: HostsLeg | null =
    from === undefined
      ? null
      : { from, to: to.host, target: leg.to.device.tap, network_id: network, port_id: leg.to.device.port_id };
  const left =
    trace !== null && hostsLeg !== null
      ? leaveA(ctx, leg, hostsLeg, trace, portsOf(portsAnswer).uplinks)
      : null;
  const exit = left !== null && "exit" in left ? left : null;
  const failed =
    sent?.kind === "ovs" && !sent.ok ? sent.error : (leg.error ?? `host ${ctx.info.host} is not known`);
  const index = trail.hop(
    {
      bridge: trace?.bridges.join(" -> ") ?? leg.bridge ?? undefined,
      interface: leg.from.tap,
      node_id: network,
      ...(leg.from.port_id === null ? {} : { port_id: leg.from.port_id }),
    },
    {
      action: exit === null ? "dropped" : "switched",
      decided_by: {
        kind: "ovs_flow",
        text: trace === null ? failed : ovsText(trace, exit?.port ?? leg.to.device.tap),
      },
      vlan: leg.tag ?? trace?.vlan ?? undefined,
    },
    null,
  );
  if (left !== null && "event" in left) trail.event({ ...left.event, hop: index });
  if (exit === null || hostsLeg === null || question === null) return null;
  const crossing = { leg: hostsLeg, question, to };
  return "tunnel" in exit.exit
    ? intoTunnel(ctx, trail, crossing, exit.exit.tunnel)
    : ontoWire(ctx, trail, crossing, exit.exit);
}

type Crossing = { leg: HostsLeg; question: OvsQuestion; to: HostSide };

/** B's answers to `questions` after its ports, and the context on B; an agent that fails them is down. */
async function askB(
  ctx: WalkContext,
  crossing: Crossing,
  questions: (side: { uplinks: Record<string, string[]> }) => OvsQuestion | { error: string },
  record: (leg: HostsLeg, arrived: { answer: TraceAnswer | undefined; error: string | null }) => boolean,
): Promise<{ ctx: WalkContext; reached: boolean } | null> {
  const { to, leg } = crossing;
  if (to.answers === null || !to.host.online) {
    record(leg, { answer: undefined, error: null });
    return null;
  }
  const answers = to.answers;
  try {
    const { ports, uplinks } = portsOf((await answers.ask([PORTS]))[0]);
    const asked = questions({ uplinks });
    // A frame B cannot take in (no tunnel bridge, no uplink) never gets there: B is not asked about it.
    if ("error" in asked) {
      record(leg, { answer: undefined, error: asked.error });
      return null;
    }
    const [answer] = await answers.ask([asked]);
    const reached = record(leg, { answer, error: null });
    return { ctx: { ...ctx, host: answers, info: answers.info, ports }, reached };
  } catch (error) {
    // An agent that fails the question is down as far as the trace can tell.
    record({ ...leg, to: { ...leg.to, online: false } }, { answer: undefined, error: message(error) });
    return null;
  }
}

function intoTunnel(ctx: WalkContext, trail: Trail, crossing: Crossing, exit: TunnelExit) {
  const { leg, question, to } = crossing;
  return askB(
    ctx,
    crossing,
    () => {
      const asked = tunnelQuestion(question, exit, leg.from, to.host);
      return asked.question ?? { error: asked.error };
    },
    (at, arrived) => crossTunnel(trail, at, exit, arrived),
  );
}

function ontoWire(ctx: WalkContext, trail: Trail, crossing: Crossing, exit: { wire: Wire; at: WireExit }) {
  const { question, to } = crossing;
  let entry: WireSide = { bridge: null, uplinks: [] };
  return askB(
    ctx,
    crossing,
    ({ uplinks }) => {
      if (to.answers !== null) entry = wireSide(to.answers.info, uplinks, exit.wire);
      const asked = wireQuestion(question, exit.wire, entry, to.host.host);
      return asked.question ?? { error: asked.error };
    },
    (at, arrived) => crossWire(trail, at, exit.wire, exit.at, { ...arrived, entry }),
  );
}
