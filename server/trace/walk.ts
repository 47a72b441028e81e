// Walks a packet from place to place. The places (the host as the intent has it) say which namespace and
// device holds the next hop's address and where each device is plugged; the host decides everything else:
// `ip route get` in the namespace (the kernel's route), our nat rules as iptables-save printed them (DNAT in
// PREROUTING/OUTPUT, SNAT in POSTROUTING, conntrack reversing them for the reply), and `ofproto/trace` from the
// sender's OVS port.

import type {
  OvsQuestion,
  OvsTrace,
  RouteGet,
  RouteQuestion,
  TraceAnswer,
  TraceHostInfo,
  TracePort,
  TraceQuestion,
} from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import type { DecidedBy, Hop, TraceProtocol } from "../../lib/schemas/trace";
import type { HostAnswers } from "./ask";
import { type ParsedRule, ruleWithCounters, walkChain } from "./nat";
import type { NsDevice, Place } from "./places";
import type { CapturePoint, HopPoints } from "./probe";

export type Packet = { src: string; dst: string };

/** A NAT done on the way in, which conntrack reverses for the reply. */
export type ConnNat = {
  namespace: string;
  kind: "dnat" | "snat";
  /** The address before the rule, and after. */
  before: string;
  after: string;
  rule: ParsedRule;
  node_id: string;
};

/** What happened, for the diagnoses: each event points at the hop it concerns (its index in the list). */
export type WalkEvent =
  | { type: "route-error"; hop: number; place: Place; packet: Packet; error: string }
  | { type: "no-owner"; hop: number; place: Place; device: NsDevice; nexthop: string; gateway: string | null }
  | {
      type: "ovs-miss";
      hop: number;
      from: NsDevice;
      to: NsDevice;
      toPlace: Place;
      trace: OvsTrace | null;
      error: string | null;
    }
  | { type: "local"; hop: number; place: Place; packet: Packet; dnatted: boolean }
  | {
      type: "routed";
      hop: number;
      place: Place;
      packet: Packet;
      route: RouteGet;
      oif: string;
      iif: string | null;
    }
  | { type: "no-device"; hop: number; place: Place; oif: string };

export type WalkResult = {
  hops: Hop[];
  events: WalkEvent[];
  /** Where the packet ended, delivered (null when it was dropped on the way). */
  deliveredAt: Place | null;
  /** The packet as it arrived. */
  packet: Packet;
  nat: ConnNat[];
  /** Per hop, where probe mode watches for it. */
  points: HopPoints;
};

export type WalkContext = {
  /** The host's answers for this trace: each question asked once, several per round trip. */
  host: HostAnswers;
  info: TraceHostInfo;
  protocol: TraceProtocol;
  port: number | null;
  places: Place[];
  /** Our OVS ports as the agent read them (tags, bridges). */
  ports: TracePort[];
  /** Our nat rules per router namespace, as the agent read them. */
  nat: Map<string, NatRuleCounters[]>;
  /** MACs the intent does not choose (the uplinks' veths), read from the host: `namespace/device` -> MAC. */
  macs: Map<string, string>;
  /** Fip id by floating address: DNAT/SNAT hops name the floating IP's graph node. */
  fipIds: Map<string, string>;
};

const MAX_PLACES = 12;

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

function holds(place: Place, address: string): NsDevice | undefined {
  return place.devices.find((d) => d.addresses.includes(address));
}

/** Who holds `address` on `networkId` (answers ARP for it), other than `except`. */
function owner(ctx: WalkContext, networkId: string, address: string, except: Place) {
  for (const place of ctx.places) {
    if (place === except) continue;
    const device = place.devices.find((d) => d.network_id === networkId && d.addresses.includes(address));
    if (device) return { place, device };
  }
  return undefined;
}

function macOf(ctx: WalkContext, place: Place, device: NsDevice): string | null {
  return device.mac ?? ctx.macs.get(`${place.namespace}/${device.name}`) ?? null;
}

function bridgeOf(ctx: WalkContext, device: NsDevice): string | null {
  if (device.physical_network === null) return ctx.info.integration_bridge;
  return ctx.info.bridge_mappings[device.physical_network] ?? null;
}

export function ovsText(trace: OvsTrace, target: string | null): string {
  const lines = trace.rules.map(
    (r) => `${r.bridge} table ${r.table}: ${r.text} -> ${r.actions.join(", ") || "(no action)"}`,
  );
  const outputs = trace.outputs.filter((o) => !trace.bridges.includes(o));
  const notes = [...new Set(trace.notes)];
  if (notes.length > 0) lines.push(notes.join("; "));
  lines.push(outputs.length > 0 ? `out: ${outputs.join(", ")}` : "out: none (dropped)");
  if (target !== null && !outputs.includes(target)) lines.push(`does not reach ${target}`);
  return lines.join("\n");
}

/** The OVS leg into the next namespace: asked together with that namespace's first question. */
type Leg = {
  question: OvsQuestion | null;
  /** Why there is no question (no bridge mapping, unknown MAC). */
  error: string | null;
  from: NsDevice;
  to: { place: Place; device: NsDevice };
  bridge: string | null;
  tag: number | null;
};

/**
 * Walks from `start` (a packet sent from `place`, or arriving there on `iif`) until it is delivered or dropped.
 * `direction` reply: NAT comes from conntrack (the forward walk's `forwardNat`), not from the rules.
 *
 * Round trips: the OVS leg into a namespace is asked together with the route there (what OVS says is known
 * once both answers are in; a route asked for a namespace the packet never reaches is dropped unused), and,
 * forward, where the packet may end, the reply's first route too.
 */
export async function walk(
  ctx: WalkContext,
  direction: "forward" | "reply",
  start: { place: Place; packet: Packet; srcKnown: boolean },
  forwardNat: ConnNat[],
): Promise<WalkResult> {
  const hops: Hop[] = [];
  const events: WalkEvent[] = [];
  const nat: ConnNat[] = [];
  let place = start.place;
  let iif: string | null = null;
  let packet = { ...start.packet };
  let srcKnown = start.srcKnown;
  const host = ctx.info.host;
  const points: HopPoints = [];
  const hop = (h: Omit<Hop, "packet">, point: CapturePoint | null) => {
    hops.push({ ...h, packet: { ...packet } });
    points.push(point);
    return hops.length - 1;
  };
  const at = (ns: string, ifname: string | null | undefined): CapturePoint | null =>
    ifname ? { namespace: ns, interface: ifname } : null;
  const done = (deliveredAt: Place | null): WalkResult => ({
    hops,
    events,
    deliveredAt,
    packet,
    nat,
    points,
  });

  /** Records the OVS leg (switched or dropped) from its answer; false when the packet died there. */
  const crossed = (leg: Leg, answer: TraceAnswer | undefined): boolean => {
    let trace: OvsTrace | null = null;
    let error = leg.error;
    if (answer?.kind === "ovs") {
      if (answer.ok) trace = answer.trace;
      else error = answer.error;
    }
    const next = leg.to;
    const reached = trace?.outputs.includes(next.device.tap) ?? false;
    const decided: DecidedBy = {
      kind: "ovs_flow",
      text: trace ? ovsText(trace, next.device.tap) : (error ?? "no trace"),
    };
    const switchedWhere = {
      host,
      bridge: trace?.bridges.join(" -> ") ?? leg.bridge ?? undefined,
      interface: leg.from.tap,
      node_id: leg.from.network_id,
    };
    const vlan = leg.tag ?? trace?.vlan ?? undefined;
    const index = hop(
      {
        where: switchedWhere,
        action: reached ? "switched" : "dropped",
        ...(vlan === undefined ? {} : { vlan }),
        decided_by: decided,
      },
      at(next.place.namespace, next.device.name),
    );
    if (!reached)
      events.push({
        type: "ovs-miss",
        hop: index,
        from: leg.from,
        to: next.device,
        toPlace: next.place,
        trace,
        error,
      });
    return reached;
  };

  let leg: Leg | null = null;
  for (let visited = 0; visited < MAX_PLACES; visited++) {
    const legQuestions = leg?.question ? [leg.question] : [];
    const rules = place.kind === "router" ? await natOf(ctx, place.namespace, legQuestions) : [];
    // What happens on the way in is recorded once the leg that brought the packet here is known to carry it.
    const wayIn = prerouting(ctx, direction, place, iif, packet, rules, forwardNat);
    const arrived = wayIn.packet;
    const dnatted = wayIn.nat?.kind === "dnat";

    // An uplink is the outside world: whatever reaches it beyond its own address left for the Internet.
    const leaves = place.kind === "uplink" && iif !== null && holds(place, arrived.dst) === undefined;
    // The kernel's route. A packet sent from here names its source only when the namespace holds it.
    const question = leaves ? null : routeQuestion(place, arrived, iif, srcKnown);
    // Forward, where the packet may end (the namespace holds its destination, or it leaves for the outside),
    // the reply starts: its first route goes along.
    const replyStart =
      direction === "forward" && (leaves || holds(place, arrived.dst) !== undefined)
        ? [routeQuestion(place, { src: arrived.dst, dst: arrived.src }, null, true)]
        : [];
    const answers = await ctx.host.ask([...legQuestions, ...(question ? [question] : [])], replyStart);
    if (leg !== null && !crossed(leg, leg.question ? answers[0] : undefined)) return done(null);
    if (wayIn.hop !== null) {
      packet = arrived;
      if (wayIn.nat !== null) nat.push(wayIn.nat);
      hop(wayIn.hop, null);
    }

    if (question === null) {
      hop(
        {
          where: { host, namespace: place.namespace, interface: iif ?? undefined, node_id: place.node_id },
          action: "delivered",
          decided_by: {
            kind: "model",
            text: `${packet.dst} is beyond the external network's gateway ${place.devices[0]?.addresses[0] ?? ""}: the packet left for the outside world`,
          },
        },
        at(place.namespace, iif),
      );
      return done(place);
    }
    const route = answers.at(-1) as Extract<TraceAnswer, { kind: "route" }>;
    const where = { host, namespace: place.namespace, node_id: place.node_id };
    if (!route.ok) {
      const index = hop(
        {
          where: { ...where, interface: iif ?? undefined },
          action: "dropped",
          decided_by: { kind: "route", text: route.text },
        },
        at(place.namespace, iif),
      );
      events.push({ type: "route-error", hop: index, place, packet: { ...packet }, error: route.error });
      return done(null);
    }
    if (route.route.type === "local") {
      const index = hop(
        {
          where: { ...where, interface: iif ?? undefined },
          action: "delivered",
          decided_by: { kind: "route", text: route.text },
        },
        at(place.namespace, iif),
      );
      events.push({ type: "local", hop: index, place, packet: { ...packet }, dnatted });
      return done(place);
    }
    const oif = route.route.dev ?? "";
    if (!srcKnown && route.route.prefsrc !== undefined) {
      packet = { ...packet, src: route.route.prefsrc };
      srcKnown = true;
    }
    const routedIndex = hop(
      {
        where: { ...where, interface: oif },
        action: "routed",
        decided_by: { kind: "route", text: route.text },
      },
      at(place.namespace, oif),
    );
    events.push({
      type: "routed",
      hop: routedIndex,
      place,
      packet: { ...packet },
      route: route.route,
      oif,
      iif,
    });

    // POSTROUTING: SNAT (or the ACCEPT that keeps traffic between our subnets untranslated); for the reply,
    // conntrack undoing the DNAT done on the way in.
    if (place.kind === "router" && direction === "forward") {
      const verdict = walkChain(rules, "POSTROUTING", {
        src: packet.src,
        dst: packet.dst,
        iif,
        oif,
        dnatted,
      });
      if (verdict.rule?.target === "SNAT" && verdict.rule.to !== undefined) {
        const before = packet.src;
        packet = { ...packet, src: verdict.rule.to };
        const node = ctx.fipIds.get(packet.src) ?? place.node_id;
        nat.push({
          namespace: place.namespace,
          kind: "snat",
          before,
          after: packet.src,
          rule: verdict.rule,
          node_id: node,
        });
        hop(
          {
            where: { host, namespace: place.namespace, interface: oif, node_id: node },
            action: "snat",
            decided_by: { kind: "nat_rule", text: ruleWithCounters(verdict.rule) },
          },
          at(place.namespace, oif),
        );
      }
    }
    if (place.kind === "router" && direction === "reply") {
      const here = place;
      const undo = forwardNat.find(
        (n) => n.namespace === here.namespace && n.kind === "dnat" && n.after === packet.src,
      );
      if (undo) {
        packet = { ...packet, src: undo.before };
        hop(
          {
            where: { host, namespace: place.namespace, interface: oif, node_id: undo.node_id },
            action: "snat",
            decided_by: {
              kind: "conntrack",
              text: `reply of a connection DNATed here: source ${undo.after} -> ${undo.before} (by ${undo.rule.text})`,
            },
          },
          at(place.namespace, oif),
        );
      }
    }

    // The link layer: who answers ARP for the next hop on the out device's network, then OVS.
    const device = place.devices.find((d) => d.name === oif);
    if (device === undefined) {
      const index = hop(
        {
          where: { ...where, interface: oif },
          action: "dropped",
          decided_by: { kind: "model", text: `${oif} is not a device the model knows in ${place.namespace}` },
        },
        at(place.namespace, oif),
      );
      events.push({ type: "no-device", hop: index, place, oif });
      return done(null);
    }
    const nexthop = route.route.gateway ?? packet.dst;
    const next = owner(ctx, device.network_id, nexthop, place);
    if (next === undefined) {
      const index = hop(
        {
          where: { ...where, interface: oif },
          action: "dropped",
          decided_by: {
            kind: "arp",
            text: `no port on this network holds ${nexthop}: ARP for it gets no answer, the packet never leaves ${oif}`,
          },
        },
        at(place.namespace, oif),
      );
      events.push({
        type: "no-owner",
        hop: index,
        place,
        device,
        nexthop,
        gateway: route.route.gateway ?? null,
      });
      return done(null);
    }
    leg = switchLeg(ctx, place, device, next, packet);
    // Without a question there is nothing to wait for: the packet dies here.
    if (leg.question === null) {
      crossed(leg, undefined);
      return done(null);
    }
    place = next.place;
    iif = next.device.name;
  }
  if (leg?.question && !crossed(leg, (await ctx.host.ask([leg.question]))[0])) return done(null);
  hop(
    {
      where: { host, namespace: place.namespace, node_id: place.node_id },
      action: "dropped",
      decided_by: { kind: "model", text: `more than ${MAX_PLACES} namespaces on the way: a routing loop` },
    },
    null,
  );
  return done(null);
}

/**
 * The way into `place`: forward, PREROUTING (or OUTPUT for a packet the namespace sends itself) and its DNAT;
 * reply, conntrack undoing a SNAT done here on the way out. The packet after it, and the hop to record.
 */
function prerouting(
  ctx: WalkContext,
  direction: "forward" | "reply",
  place: Place,
  iif: string | null,
  packet: Packet,
  rules: readonly NatRuleCounters[],
  forwardNat: ConnNat[],
): { packet: Packet; hop: Omit<Hop, "packet"> | null; nat: ConnNat | null } {
  const unchanged = { packet, hop: null, nat: null };
  if (place.kind !== "router") return unchanged;
  const interfaceIn = iif ?? undefined;
  if (direction === "forward") {
    const verdict = walkChain(rules, iif === null ? "OUTPUT" : "PREROUTING", {
      src: packet.src,
      dst: packet.dst,
      iif,
      oif: null,
      dnatted: false,
    });
    const rule = verdict.rule;
    if (rule?.target !== "DNAT" || rule.to === undefined) return unchanged;
    const node = ctx.fipIds.get(packet.dst) ?? place.node_id;
    return {
      packet: { ...packet, dst: rule.to },
      nat: {
        namespace: place.namespace,
        kind: "dnat",
        before: packet.dst,
        after: rule.to,
        rule,
        node_id: node,
      },
      hop: {
        where: { host: ctx.info.host, namespace: place.namespace, interface: interfaceIn, node_id: node },
        action: "dnat",
        decided_by: { kind: "nat_rule", text: ruleWithCounters(rule) },
      },
    };
  }
  const undo = forwardNat.find(
    (n) => n.namespace === place.namespace && n.kind === "snat" && n.after === packet.dst,
  );
  if (!undo) return unchanged;
  return {
    packet: { ...packet, dst: undo.before },
    nat: null,
    hop: {
      where: {
        host: ctx.info.host,
        namespace: place.namespace,
        interface: interfaceIn,
        node_id: undo.node_id,
      },
      action: "dnat",
      decided_by: {
        kind: "conntrack",
        text: `reply of a connection SNATed here: destination ${undo.after} -> ${undo.before} (by ${undo.rule.text})`,
      },
    },
  };
}

/** The ofproto/trace question for the packet leaving `device` toward `next`, from the sender's OVS port. */
function switchLeg(
  ctx: WalkContext,
  place: Place,
  device: NsDevice,
  next: { place: Place; device: NsDevice },
  packet: Packet,
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
    },
  };
}
