// Walks a packet from place to place. The places (the host as the intent has it) say which namespace and
// device holds the next hop's address and where each device is plugged; the host decides everything else:
// `ip route get` in the namespace (the kernel's route), our nat rules as iptables-save printed them (DNAT in
// PREROUTING/OUTPUT, SNAT in POSTROUTING, conntrack reversing them for the reply), and `ofproto/trace` from the
// sender's OVS port. This file is the order of a walk and its round trips to the agent; each kind of hop is in
// steps.ts (NAT, route, next hop, delivery) or leg.ts (the OVS leg between namespaces), recorded on a Trail.

import type { RouteQuestion, TraceQuestion } from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import { crossHosts, otherHost } from "./across";
import { crossLeg, type Leg, switchLeg } from "./leg";
import type { Place } from "./places";
import { crossFilter, filterDrops } from "./port-filter";
import {
  type Direction,
  enter,
  leaveForOutside,
  nextHop,
  type RouteAnswer,
  route,
  wayIn,
  wayOut,
} from "./steps";
import { Trail } from "./trail";
import type { ConnNat, HostSide, Packet, WalkContext, WalkResult } from "./walk-state";

const MAX_PLACES = 12;

function holds(place: Place, address: string): boolean {
  return place.devices.some((d) => d.addresses.includes(address));
}

/**
 * The kernel's route for a packet in `place`: sent from there (`iif` null; the source named only when the
 * namespace holds it), or arriving on `iif`.
 */
export function routeQuestion(
  place: Place,
  packet: Packet,
  iif: string | null,
  srcKnown: boolean,
): RouteQuestion {
  return {
    kind: "route",
    namespace: place.namespace,
    dst: packet.dst,
    ...(iif === null
      ? srcKnown && holds(place, packet.src)
        ? { src: packet.src }
        : {}
      : { src: packet.src, iif }),
  };
}

/** Our nat rules in a router namespace: read up front for the routers the ends imply, else when first met. */
async function natOf(
  ctx: WalkContext,
  namespace: string,
  alongside: TraceQuestion[],
): Promise<NatRuleCounters[]> {
  const known = ctx.nat.get(namespace);
  if (known !== undefined) return known;
  const [answer] = await ctx.host.ask([{ kind: "nat", namespace }, ...alongside]);
  const rules = answer?.kind === "nat" && answer.ok ? answer.rules : [];
  ctx.nat.set(namespace, rules);
  return rules;
}

/**
 * Where the packet is: the place, the device it came in by (null: sent from here), the leg that brought it, and
 * the host that leg crossed to (null: the same host).
 */
type Arrival = { place: Place; iif: string | null; leg: Leg | null; remote: HostSide | null };

/**
 * Walks from `start` (a packet sent from `place`) until it is delivered or dropped. `direction` reply: NAT comes
 * from conntrack (the forward walk's `forwardNat`), not from the rules.
 *
 * Round trips: the OVS leg into a namespace is asked together with the route there (what OVS says is known
 * once both answers are in; a route asked for a namespace the packet never reaches is dropped unused), and,
 * forward, where the packet may end, the reply's first route too.
 */
export async function walk(
  walkContext: WalkContext,
  direction: Direction,
  start: { place: Place; packet: Packet; srcKnown: boolean },
  forwardNat: ConnNat[],
): Promise<WalkResult> {
  // A port forwarding changes the destination port on the way: the context follows the packet.
  let ctx = walkContext;
  const trail = new Trail(ctx.info.host, start);
  let arrival: Arrival = { place: start.place, iif: null, leg: null, remote: null };
  for (let visited = 0; visited < MAX_PLACES; visited++) {
    const { place, iif, leg, remote } = arrival;
    // A leg to another host is crossed first: the walk goes on there, with that host's answers.
    if (leg !== null && remote !== null) {
      // As on one host, the filter's verdict names a drop in B's OVS trace (recorded below).
      const filtered = filterDrops(ctx, trail, direction, "ingress", leg.to);
      const crossed = await crossHosts(ctx, trail, leg, remote);
      if (crossed === null || (!filtered && !crossed.reached)) return trail.end(null);
      ctx = crossed.ctx;
    }
    const legQuestions = leg?.question && remote === null ? [leg.question] : [];
    const rules = place.kind === "router" ? await natOf(ctx, place.namespace, legQuestions) : [];
    const way = wayIn(ctx, direction, place, iif, trail.packet, rules, forwardNat);
    const arrived = way?.packet ?? trail.packet;
    const dnatted = way?.nat?.kind === "dnat";

    const leaves = place.kind === "uplink" && iif !== null && !holds(place, arrived.dst);
    // The kernel's route. A packet sent from here names its source only when the namespace holds it.
    const question = leaves ? null : routeQuestion(place, arrived, iif, trail.srcKnown);
    // Forward, where the packet may end (the namespace holds its destination, or it leaves for the outside),
    // the reply starts: its first route goes along.
    const replyStart =
      direction === "forward" && (leaves || holds(place, arrived.dst))
        ? [routeQuestion(place, { src: arrived.dst, dst: arrived.src }, null, true)]
        : [];
    const answers = await ctx.host.ask([...legQuestions, ...(question ? [question] : [])], replyStart);
    // What happens here counts once the leg that brought the packet is known to carry it.
    if (leg !== null && remote === null) {
      // The model's verdict on the port's filter comes first: OVS's trace of a dropped packet ends in the same
      // filter, and the hop names it with the rule to create rather than as a frame the network lost.
      const filtered = filterDrops(ctx, trail, direction, "ingress", leg.to);
      if (!filtered && !crossLeg(trail, leg, leg.question ? answers[0] : undefined)) return trail.end(null);
      const into = { namespace: leg.to.place.namespace, interface: leg.to.device.name };
      if (!crossFilter(ctx, trail, direction, "ingress", leg.to, into)) return trail.end(null);
    } else if (leg !== null) {
      const into = { namespace: leg.to.place.namespace, interface: leg.to.device.name };
      if (!crossFilter(ctx, trail, direction, "ingress", leg.to, into)) return trail.end(null);
    }
    if (way !== null) enter(trail, place, iif, way);
    if (way?.port !== undefined) ctx = { ...ctx, port: way.port };
    if (question === null) return trail.end(leaveForOutside(trail, place, iif));

    const routed = route(trail, place, iif, answers.at(-1) as RouteAnswer, dnatted);
    if ("ended" in routed) return trail.end(routed.ended);
    const { oif } = routed;
    wayOut(ctx, trail, direction, { place, iif, oif, dnatted }, rules, forwardNat);
    const hop = nextHop(ctx, trail, place, oif, routed.route);
    if (hop === null) return trail.end(null);
    const onto = { namespace: hop.next.place.namespace, interface: hop.next.device.name };
    if (!crossFilter(ctx, trail, direction, "egress", { place, device: hop.device }, onto))
      return trail.end(null);
    const next = switchLeg(ctx, place, hop.device, hop.next, trail.packet, direction === "reply");
    // Without a question there is nothing to wait for: the packet dies here.
    if (next.question === null) {
      crossLeg(trail, next, undefined);
      return trail.end(null);
    }
    arrival = { place: hop.next.place, iif: hop.next.device.name, leg: next, remote: otherHost(ctx, next) };
  }
  const { place, leg } = arrival;
  if (leg?.question && !crossLeg(trail, leg, (await ctx.host.ask([leg.question]))[0])) return trail.end(null);
  trail.inside(place, null, {
    action: "dropped",
    decided_by: { kind: "model", text: `more than ${MAX_PLACES} namespaces on the way: a routing loop` },
  });
  return trail.end(null);
}
