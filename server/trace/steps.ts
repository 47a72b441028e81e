// What happens to a packet inside one namespace, a kind of hop each: NAT on the way in (PREROUTING/OUTPUT's
// DNAT, or conntrack undoing a SNAT for a reply), the kernel's route (delivered here, dropped, or out of a
// device), NAT on the way out (POSTROUTING's SNAT, or conntrack undoing a DNAT), the next hop's owner (who
// answers ARP for it), and leaving for the outside world. Each records its hop on the trail.
import type { RouteGet, TraceAnswer } from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import { chainNames } from "../../lib/router-nat";
import type { DecidedBy, HopRule } from "../../lib/schemas/trace";
import { type ParsedRule, ruleWithCounters, walkChain } from "./nat";
import type { NsDevice, Place } from "./places";
import type { Trail } from "./trail";
import type { ConnNat, Packet, WalkContext } from "./walk-state";

export type Direction = "forward" | "reply";

const natRule = (rule: ParsedRule): DecidedBy => ({ kind: "nat_rule", text: ruleWithCounters(rule) });

/**
 * The resource rule behind a translation, told by the chain its rule is in: a floating IP's (its DNAT in
 * PREROUTING/OUTPUT, its SNAT in float-snat), a port forwarding's (its DNAT in fip-pf) or the router's gateway
 * SNAT.
 */
function natHopRule(ctx: WalkContext, place: Place, nat: ConnNat, conntrack: boolean): HopRule | undefined {
  const chains = chainNames(ctx.info.chain_prefix);
  const fipId = ctx.fipIds.get(nat.kind === "dnat" ? nat.before : nat.after);
  if (nat.kind === "dnat" && nat.rule.chain === chains.fipPf && fipId !== undefined && nat.ports)
    return forwardingRule(ctx, fipId, nat, nat.ports, conntrack);
  const floating =
    nat.kind === "dnat"
      ? nat.rule.chain === chains.prerouting || nat.rule.chain === chains.output
      : nat.rule.chain === chains.floatSnat;
  if (floating && fipId !== undefined) {
    const [floatingAddress, fixed] = nat.kind === "dnat" ? [nat.before, nat.after] : [nat.after, nat.before];
    return {
      kind: "floating_ip_nat",
      floating_ip_id: fipId,
      floating_ip_address: floatingAddress,
      fixed_ip_address: fixed,
      conntrack,
    };
  }
  if (nat.kind === "snat" && nat.rule.chain === chains.snat)
    return { kind: "router_snat", router_id: place.node_id, external_ip_address: nat.after, conntrack };
  return undefined;
}

/** The port forwarding of floating IP `fipId` that DNATed the packet's destination port `ports.before`. */
function forwardingRule(
  ctx: WalkContext,
  fipId: string,
  nat: ConnNat,
  ports: { before: number; after: number },
  conntrack: boolean,
): HopRule | undefined {
  const pf = ctx.forwardings.find(
    (f) =>
      f.floatingIpId === fipId &&
      f.protocol === nat.rule.protocol &&
      ports.before >= f.externalPortStart &&
      ports.before <= f.externalPortEnd,
  );
  if (pf === undefined) return undefined;
  return {
    kind: "port_forwarding",
    port_forwarding_id: pf.id,
    floating_ip_id: fipId,
    floating_ip_address: nat.before,
    internal_ip_address: nat.after,
    protocol: pf.protocol,
    external_port: ports.before,
    internal_port: ports.after,
    conntrack,
  };
}

/** A translation on the way into a place: worked out before the packet gets there, recorded once it does. */
type WayIn = {
  packet: Packet;
  node_id: string;
  decided_by: DecidedBy;
  rule: HopRule | undefined;
  nat: ConnNat | null;
  /** A port forwarding's DNAT: the destination port from here on. */
  port?: number;
};

/**
 * The way into `place`: forward, PREROUTING (or OUTPUT for a packet the namespace sends itself) and its DNAT;
 * reply, conntrack undoing a SNAT done here on the way out. Null: the packet goes in unchanged.
 */
export function wayIn(
  ctx: WalkContext,
  direction: Direction,
  place: Place,
  iif: string | null,
  packet: Packet,
  rules: readonly NatRuleCounters[],
  forwardNat: readonly ConnNat[],
): WayIn | null {
  if (place.kind !== "router") return null;
  if (direction === "reply") {
    const undo = forwardNat.find(
      (n) => n.namespace === place.namespace && n.kind === "snat" && n.after === packet.dst,
    );
    if (!undo) return null;
    return {
      packet: { ...packet, dst: undo.before },
      node_id: undo.node_id,
      nat: null,
      decided_by: {
        kind: "conntrack",
        text: `reply of a connection SNATed here: destination ${undo.after} -> ${undo.before} (by ${undo.rule.text})`,
      },
      rule: natHopRule(ctx, place, undo, true),
    };
  }
  const { rule } = walkChain(rules, iif === null ? "OUTPUT" : "PREROUTING", {
    src: packet.src,
    dst: packet.dst,
    iif,
    oif: null,
    dnatted: false,
    protocol: ctx.protocol,
    port: ctx.port,
  });
  // REDIRECT (the metadata redirect) is a DNAT to the address of the device the packet came in by.
  const to = rule?.target === "REDIRECT" ? place.devices.find((d) => d.name === iif)?.addresses[0] : rule?.to;
  if (rule === null || (rule.target !== "DNAT" && rule.target !== "REDIRECT") || to === undefined)
    return null;
  const node_id = ctx.fipIds.get(packet.dst) ?? place.node_id;
  // A port forwarding maps the external port range onto the internal one, port for port.
  const ports =
    rule.toPorts !== undefined && rule.dport !== undefined && ctx.port !== null
      ? { before: ctx.port, after: rule.toPorts.min + (ctx.port - rule.dport.min) }
      : undefined;
  const nat: ConnNat = {
    namespace: place.namespace,
    kind: "dnat",
    before: packet.dst,
    after: to,
    rule,
    node_id,
    ...(ports === undefined ? {} : { ports }),
    entered: { ...packet, port: ctx.port },
  };
  return {
    packet: { ...packet, dst: to },
    node_id,
    decided_by: natRule(rule),
    rule: natHopRule(ctx, place, nat, false),
    nat,
    ...(ports === undefined ? {} : { port: ports.after }),
  };
}

/** The packet went in: its translation on the way in happened. */
export function enter(trail: Trail, place: Place, iif: string | null, way: WayIn): void {
  trail.packet = way.packet;
  if (way.nat !== null) trail.natted(way.nat);
  trail.inside(place, iif, {
    action: "dnat",
    decided_by: way.decided_by,
    rule: way.rule,
    node_id: way.node_id,
    watched: false,
  });
}

/** An uplink is the outside world: whatever reaches it beyond its own address left for the Internet. */
export function leaveForOutside(trail: Trail, place: Place, iif: string | null): Place {
  trail.inside(place, iif, {
    action: "delivered",
    decided_by: {
      kind: "model",
      text: `${trail.packet.dst} is beyond the external network's gateway ${place.devices[0]?.addresses[0] ?? ""}: the packet left for the outside world`,
    },
  });
  return place;
}

export type RouteAnswer = Extract<TraceAnswer, { kind: "route" }>;

/**
 * The kernel's route in `place` for the packet that came in on `iif`: it ends here (delivered locally, or
 * dropped without a route: `ended`), or it is routed out of `oif`.
 */
export function route(
  trail: Trail,
  place: Place,
  iif: string | null,
  answer: RouteAnswer,
  dnatted: boolean,
): { ended: Place | null } | { oif: string; route: RouteGet } {
  const decided_by: DecidedBy = { kind: "route", text: answer.text };
  if (!answer.ok) {
    const hop = trail.inside(place, iif, { action: "dropped", decided_by });
    trail.event({ type: "route-error", hop, place, packet: { ...trail.packet }, error: answer.error });
    return { ended: null };
  }
  // The outside world's routes are no resource's; a DHCP namespace's are the host's.
  const rule = (port_id: string | null, local: boolean): HopRule | undefined =>
    place.kind === "uplink" || place.kind === "dhcp"
      ? undefined
      : {
          kind: "route",
          owner: place.kind,
          owner_id: place.node_id,
          destination: trail.packet.dst,
          nexthop: local ? null : (answer.route.gateway ?? null),
          port_id,
          local,
        };
  if (answer.route.type === "local") {
    const hop = trail.inside(place, iif, { action: "delivered", decided_by, rule: rule(null, true) });
    trail.event({ type: "local", hop, place, packet: { ...trail.packet }, dnatted });
    return { ended: place };
  }
  const oif = answer.route.dev ?? "";
  if (!trail.srcKnown && answer.route.prefsrc !== undefined) {
    trail.packet = { ...trail.packet, src: answer.route.prefsrc };
    trail.srcKnown = true;
  }
  const portId = place.devices.find((d) => d.name === oif)?.port_id ?? null;
  const hop = trail.inside(place, oif, { action: "routed", decided_by, rule: rule(portId, false) });
  trail.event({ type: "routed", hop, place, packet: { ...trail.packet }, route: answer.route, oif, iif });
  return { oif, route: answer.route };
}

/**
 * The way out of `place` by `oif`: forward, POSTROUTING's SNAT (or the ACCEPT that keeps traffic between our
 * subnets untranslated); reply, conntrack undoing the DNAT done here on the way in.
 */
export function wayOut(
  ctx: WalkContext,
  trail: Trail,
  direction: Direction,
  out: { place: Place; iif: string | null; oif: string; dnatted: boolean },
  rules: readonly NatRuleCounters[],
  forwardNat: readonly ConnNat[],
): void {
  const { place, oif } = out;
  if (place.kind !== "router") return;
  if (direction === "reply") {
    const undo = forwardNat.find(
      (n) => n.namespace === place.namespace && n.kind === "dnat" && n.after === trail.packet.src,
    );
    if (!undo) return;
    trail.packet = { ...trail.packet, src: undo.before };
    trail.inside(place, oif, {
      action: "snat",
      node_id: undo.node_id,
      rule: natHopRule(ctx, place, undo, true),
      decided_by: {
        kind: "conntrack",
        text: `reply of a connection DNATed here: source ${undo.after} -> ${undo.before} (by ${undo.rule.text})`,
      },
    });
    return;
  }
  const { packet } = trail;
  const { rule } = walkChain(rules, "POSTROUTING", {
    src: packet.src,
    dst: packet.dst,
    iif: out.iif,
    oif,
    dnatted: out.dnatted,
  });
  if (rule?.target !== "SNAT" || rule.to === undefined) return;
  trail.packet = { ...packet, src: rule.to };
  const node_id = ctx.fipIds.get(rule.to) ?? place.node_id;
  const nat: ConnNat = {
    namespace: place.namespace,
    kind: "snat",
    before: packet.src,
    after: rule.to,
    rule,
    node_id,
    // After a DNAT here, the DNAT's record has what came in: conntrack's original is the connection before both.
    entered: { ...packet, port: ctx.port },
  };
  trail.natted(nat);
  trail.inside(place, oif, {
    action: "snat",
    node_id,
    decided_by: natRule(rule),
    rule: natHopRule(ctx, place, nat, false),
  });
}

/**
 * The link layer: the device `oif` is, and who on its network holds the next hop's address (answers ARP for
 * it). Null when the packet dies here (recorded).
 */
export function nextHop(
  ctx: WalkContext,
  trail: Trail,
  place: Place,
  oif: string,
  route: RouteGet,
): { device: NsDevice; next: { place: Place; device: NsDevice } } | null {
  const device = place.devices.find((d) => d.name === oif);
  if (device === undefined) {
    const hop = trail.inside(place, oif, {
      action: "dropped",
      decided_by: { kind: "model", text: `${oif} is not a device the model knows in ${place.namespace}` },
    });
    trail.event({ type: "no-device", hop, place, oif });
    return null;
  }
  const nexthop = route.gateway ?? trail.packet.dst;
  const next = owner(ctx.places, device.network_id, nexthop, place);
  if (next === undefined) {
    const hop = trail.inside(place, oif, {
      action: "dropped",
      decided_by: {
        kind: "arp",
        text: `no port on this network holds ${nexthop}: ARP for it gets no answer, the packet never leaves ${oif}`,
      },
    });
    trail.event({ type: "no-owner", hop, place, device, nexthop, gateway: route.gateway ?? null });
    return null;
  }
  return { device, next };
}

/** Who holds `address` on `networkId` (answers ARP for it), other than `except`. */
function owner(places: readonly Place[], networkId: string, address: string, except: Place) {
  for (const place of places) {
    if (place === except) continue;
    const device = place.devices.find((d) => d.network_id === networkId && d.addresses.includes(address));
    if (device) return { place, device };
  }
  return undefined;
}
