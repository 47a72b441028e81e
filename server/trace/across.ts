// The walk's round trips for a leg between hosts: host A's ofproto/trace from the sender's tap (it should leave
// by the VXLAN port towards B), then host B's of its tunnel bridge from the port towards A, with B's OVS ports;
// the walk goes on on B with B's answers. tunnel.ts says what each answer means.
import type { TracePort } from "../../agent/contract/trace";
import { conflict } from "../domain/errors";
import { type Leg, ovsText } from "./leg";
import type { Trail } from "./trail";
import { crossTunnel, type HostsLeg, leaveHost, tunnelQuestion } from "./tunnel";
import type { HostSide, WalkContext } from "./walk-state";

/** The host the leg's receiver is on, when it is not the one the walk is on. */
export function otherHost(ctx: WalkContext, leg: Leg): HostSide | null {
  const name = ctx.across?.hostOf.get(leg.to.place.namespace);
  if (name === undefined || name === ctx.info.host) return null;
  return ctx.across?.hosts.get(name) ?? null;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Crosses `leg` (asked on the walk's host A) to host `to`: records A's hop, the tunnel and B's; the context on
 * B and whether the frame reached the receiver's tap there, or null when it never got to B.
 */
export async function crossHosts(
  ctx: WalkContext,
  trail: Trail,
  leg: Leg,
  to: HostSide,
): Promise<{ ctx: WalkContext; reached: boolean } | null> {
  const from = ctx.across?.hosts.get(ctx.info.host)?.host;
  // A flat or VLAN network joins hosts through their physical bridges: not a tunnel this walk can follow.
  if (ctx.across?.tunnelled.has(leg.from.network_id) !== true)
    throw conflict(
      `The path crosses from host ${ctx.info.host} to host ${to.host.host} on network ${leg.from.network_id}, which is not a VXLAN network: the trace follows only VXLAN tunnels between hosts for now`,
    );
  const question = leg.question;
  const sent = question ? (await ctx.host.ask([question]))[0] : undefined;
  const trace = sent?.kind === "ovs" && sent.ok ? sent.trace : null;
  const hostsLeg: HostsLeg | null =
    from === undefined
      ? null
      : {
          from,
          to: to.host,
          target: leg.to.device.tap,
          network_id: leg.from.network_id,
          port_id: leg.to.device.port_id,
        };
  const left = trace !== null && hostsLeg !== null ? leaveHost(hostsLeg, trace, 0) : null;
  const exit = left !== null && "exit" in left ? left.exit : null;
  const failed =
    sent?.kind === "ovs" && !sent.ok ? sent.error : (leg.error ?? `host ${ctx.info.host} is not known`);
  const index = trail.hop(
    {
      bridge: trace?.bridges.join(" -> ") ?? leg.bridge ?? undefined,
      interface: leg.from.tap,
      node_id: leg.from.network_id,
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
  const asked = tunnelQuestion(question, exit, hostsLeg.from, to.host);
  if (asked.question === null || to.answers === null || !to.host.online) {
    crossTunnel(trail, hostsLeg, exit, { answer: undefined, error: asked.error });
    return null;
  }
  try {
    let ports: TracePort[] = [];
    const [portsAnswer, answer] = await to.answers.ask([{ kind: "ports" }, asked.question]);
    if (portsAnswer?.kind === "ports" && portsAnswer.ok) ports = portsAnswer.ports;
    const reached = crossTunnel(trail, hostsLeg, exit, { answer, error: null });
    return { ctx: { ...ctx, host: to.answers, info: to.answers.info, ports }, reached };
  } catch (error) {
    // An agent that fails the question is down as far as the trace can tell.
    const down = { ...hostsLeg, to: { ...hostsLeg.to, online: false } };
    crossTunnel(trail, down, exit, { answer: undefined, error: message(error) });
    return null;
  }
}
