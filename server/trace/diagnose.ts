// Named diagnoses: the known traps (DESIGN §5), each recognised from the model and what the walk met on the
// host, with a stable code, the hop where it shows, and a fix in the operator's terms. PURE.

import type { TraceHostInfo, TracePort } from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import { cidrContains } from "../../lib/ip";
import { floatingIpRules, gatewaySnatRule } from "../../lib/router-nat";
import type { Diagnosis } from "../../lib/schemas/trace";
import type { SubnetRow } from "../db/schema";
import { type ModelRouter, routersOnSubnet, type TraceModel } from "./facts";
import { type Crossing, mtuMismatches } from "./mtu";
import type { HostPlaces, Place } from "./places";
import { filterDiagnosis } from "./port-filter";
import { type Endpoint, instanceOf, routersOf } from "./resolve";
import type { WalkEvent, WalkResult } from "./walk-state";

type DiagnoseInput = {
  model: TraceModel;
  places: HostPlaces;
  info: TraceHostInfo;
  from: Endpoint;
  to: Endpoint;
  forward: WalkResult;
  reply: WalkResult | null;
  ports: TracePort[];
  nat: Map<string, NatRuleCounters[]>;
  /** The devices of ours the path crosses, and their MTUs as the host reports them (`namespace/device`). */
  crossed: Crossing[];
  mtus: Map<string, number>;
  /**
   * With several hosts: what the host that has a namespace says of itself and its OVS ports (a router's rules and
   * ports are its host's); absent, or undefined for a namespace: `info` and `ports`, the source's host.
   */
  hostOf?: (namespace: string) => HostSeen | undefined;
};

/** A host as the trace saw it: what its agent says of itself, and its OVS ports. */
export type HostSeen = { info: TraceHostInfo; ports: TracePort[] };

/** The host that has `namespace`, as the trace saw it. */
const seenFrom = (input: DiagnoseInput, namespace: string | undefined): HostSeen =>
  (namespace === undefined ? undefined : input.hostOf?.(namespace)) ?? input;

const name = (row: { name: string; id: string }) => row.name || row.id;

type Located = { event: WalkEvent; ref: string };

function located(input: DiagnoseInput): Located[] {
  const list: Located[] = input.forward.events.map((event) => ({ event, ref: `forward[${event.hop}]` }));
  for (const event of input.reply?.events ?? []) list.push({ event, ref: `reply[${event.hop}]` });
  return list;
}

/** The last hop of the first walk that failed: where a drop shows when no event names it better. */
function failingHop(input: DiagnoseInput): string | null {
  if (input.forward.deliveredAt === null) return `forward[${input.forward.hops.length - 1}]`;
  if (input.reply && input.reply.deliveredAt === null) return `reply[${input.reply.hops.length - 1}]`;
  return null;
}

function subnetOfInstance(model: TraceModel, endpoint: Endpoint): SubnetRow | undefined {
  const instance = instanceOf(endpoint);
  const port = instance ? model.ports.get(instance.portId) : undefined;
  return port?.subnet_id ? model.subnets.get(port.subnet_id) : undefined;
}

/** Whether the path must cross a router's gateway: an end is outside, or is reached through a floating IP. */
function needsGateway(input: DiagnoseInput): boolean {
  const kinds = [input.from.kind, input.to.kind];
  return kinds.includes("outside") || kinds.includes("floating_ip");
}

export function diagnose(input: DiagnoseInput): Diagnosis[] {
  const { model } = input;
  const found: Diagnosis[] = [];
  const events = located(input);
  const add = (d: Diagnosis) => {
    if (!found.some((f) => f.code === d.code && f.message === d.message)) found.push(d);
  };

  // 1. gateway-not-router: the instance's default route points at an address no router interface holds.
  for (const endpoint of [input.from, input.to]) {
    const subnet = subnetOfInstance(model, endpoint);
    if (!subnet) continue;
    const routers = routersOnSubnet(model, subnet.id);
    const held = routers.some((r) => r.interfaces.some((p) => p.ip === subnet.gatewayIp));
    const router = routers[0];
    if (!router || held) continue;
    const iface = router.interfaces.find((p) => p.subnet_id === subnet.id);
    const instance = instanceOf(endpoint);
    const at = events.find(
      (l) =>
        (l.event.type === "no-owner" || l.event.type === "route-error") &&
        l.event.place.node_id === instance?.id,
    );
    // Only when the path leaves the subnet (it used the default route, or found none).
    if (!at) continue;
    add({
      code: "gateway-not-router",
      hop: at.ref,
      message:
        subnet.gatewayIp === null
          ? `Subnet ${name(subnet)} has no gateway, so ${instance?.name ?? "the instance"} has no default route, although router ${name(router.row)} is on the subnet at ${iface?.ip}: traffic leaving the subnet (replies included) never reaches the router.`
          : `Subnet ${name(subnet)}'s gateway is ${subnet.gatewayIp}, but router ${name(router.row)}'s interface on it is ${iface?.ip}: ${instance?.name ?? "the instance"} sends what leaves the subnet (its replies included) to ${subnet.gatewayIp}, bypassing the router and its NAT.`,
      fix: `Make the subnet's gateway the router's interface: move the interface to the gateway address (netlens router remove port ${name(router.row)} ${iface?.id ?? "PORT"}; netlens router add subnet ${name(router.row)} ${name(subnet)}), or point the subnet at the router (netlens subnet set ${name(subnet)} --gateway ${iface?.ip ?? "ROUTER_IP"} once the address is free).`,
    });
  }

  // 2. gateway-port-wrong-bridge: OVS does not carry the packet between a router's gateway port and the
  // external network's physical bridge.
  for (const l of events) {
    if (l.event.type !== "ovs-miss") continue;
    const { from, to } = l.event;
    const qg = [from, to].find((d) => d.name.startsWith("qg-"));
    const uplinkSide = [from, to].some((d) => d.physical_network !== null);
    if (!qg || !uplinkSide) continue;
    const router = [...input.places.routers.values()].find((p) => p.devices.some((d) => d.tap === qg.tap));
    const { info, ports } = seenFrom(input, router?.namespace);
    const port = ports.find((p) => p.name === qg.tap);
    const network = model.networks.get(qg.network_id);
    const physnet = network?.physicalNetwork ?? null;
    const mapped = physnet === null ? undefined : info.bridge_mappings[physnet];
    const expectedTag = l.event.trace?.vlan ?? null;
    const where =
      port === undefined
        ? `${qg.tap} is not on any of the agent's bridges`
        : `${qg.tap} is on ${port.bridge} with tag ${port.tag ?? "none"}`;
    const expected = `on ${info.integration_bridge}${expectedTag === null ? "" : ` with tag ${expectedTag}`} (the local VLAN that ${mapped ?? "the physical bridge"} maps to ${physnet ?? "the physical network"})`;
    add({
      code: "gateway-port-wrong-bridge",
      hop: l.ref,
      message:
        mapped === undefined && physnet !== null
          ? `Physical network ${physnet} of the external network has no bridge mapping on host ${info.host}: the router's gateway port ${qg.name} has no path to it.`
          : `The router's gateway port ${qg.name} has no path to the external network's physical bridge ${mapped ?? ""}: ${where}, it should be ${expected}.`,
      fix:
        mapped === undefined && physnet !== null
          ? `Start the agent with --bridge-mapping ${physnet}:BRIDGE, or use an external network on a mapped physical network.`
          : `Put the port back: ovs-vsctl ${port && port.bridge !== info.integration_bridge ? `del-port ${port.bridge} ${qg.tap} -- add-port ${info.integration_bridge} ${qg.tap} -- ` : ""}set Port ${qg.tap} tag=${expectedTag ?? "N"} (the agent does the same on its next apply of this router).`,
    });
  }

  // 3. router-no-gateway / 4. fip-subnet-not-routed, from the model, when the path needs them.
  const failing = failingHop(input);
  if (needsGateway(input)) {
    for (const endpoint of [input.from, input.to]) {
      const routers = routersOf(model, endpoint).filter(
        (r) => r.interfaces.length > 0 || endpoint.kind === "floating_ip",
      );
      if (instanceOf(endpoint) === null || routers.length === 0) continue;
      if (routers.some((r) => r.gateway !== null)) continue;
      const router = routers[0] as ModelRouter;
      add({
        code: "router-no-gateway",
        hop: failing,
        message: `Router ${name(router.row)} has no external gateway: nothing leaves it for an external network, and its floating IPs have no NAT.`,
        fix: `netlens router set ${name(router.row)} --external-gateway EXTERNAL_NETWORK`,
      });
    }
  }
  for (const endpoint of [input.from, input.to]) {
    const fips = fipsOf(model, endpoint);
    for (const fip of fips) {
      const router = fip.routerId ? model.routers.get(fip.routerId) : undefined;
      const port = fip.fixedPortId ? model.ports.get(fip.fixedPortId) : undefined;
      if (!router || !port?.subnet_id || fip.fixedIpAddress === null) continue;
      const attached = router.interfaces.some((p) => {
        const s = p.subnet_id ? model.subnets.get(p.subnet_id) : undefined;
        return s !== undefined && cidrContains(s.cidr, fip.fixedIpAddress ?? "");
      });
      if (attached) continue;
      const subnet = model.subnets.get(port.subnet_id);
      add({
        code: "fip-subnet-not-routed",
        hop: failing,
        message: `Floating IP ${fip.floatingIpAddress} maps to ${fip.fixedIpAddress} on subnet ${subnet ? name(subnet) : port.subnet_id}, which router ${name(router.row)} is not attached to: after DNAT the router has no route to it but its default one.`,
        fix: `netlens router add subnet ${name(router.row)} ${subnet ? name(subnet) : port.subnet_id}`,
      });
    }
  }

  // 5. nat-rule-missing: a rule the model implies is not on the host.
  for (const missing of missingRules(input)) {
    const at = events.find(
      (l) =>
        l.event.type !== "ovs-miss" && "place" in l.event && l.event.place.namespace === missing.namespace,
    );
    add({
      code: "nat-rule-missing",
      hop: at?.ref ?? failing,
      message: `${missing.what} is missing in ${missing.namespace}: ${missing.rule}`,
      fix: `Re-apply the router so that the agent rewrites its chains (any change to router ${missing.router} does), or by hand: ip netns exec ${missing.namespace} iptables -t nat ${missing.rule}`,
    });
  }

  // 6. mtu-mismatch: a device on the path whose MTU is not its network's.
  for (const d of mtuMismatches(model, input.crossed, input.mtus)) add(d);

  // 7. security-group-blocks, port-security-spoof: a filtered port's security groups or port security.
  for (const l of events)
    if (l.event.type === "filter-drop") add(filterDiagnosis(model.ports, l.event, l.ref));

  // 8. tunnel-missing, host-down: the hosts the path crosses.
  for (const l of events) {
    if (l.event.type === "tunnel-missing") add(tunnelMissing(l.event, l.ref));
    if (l.event.type === "host-down") add(hostDown(l.event.host, l.ref));
  }

  // Drops that no named trap explains.
  for (const l of events) {
    if (found.some((f) => f.hop === l.ref)) continue;
    if (l.event.type === "route-error") {
      add({
        code: "no-route",
        hop: l.ref,
        message: `${l.event.place.namespace} has no route to ${l.event.packet.dst}: ${l.event.error}`,
        fix: routeFix(l.event.place.kind),
      });
    } else if (l.event.type === "no-owner") {
      add({
        code: "no-next-hop",
        hop: l.ref,
        message: `Nothing on the network holds ${l.event.nexthop}, the next hop out of ${l.event.device.name} in ${l.event.place.namespace}.`,
        fix: "Give the next hop's address to a port on that network (a router interface, an instance), or fix the route that names it.",
      });
    }
  }
  return found;
}

function tunnelMissing(event: Extract<WalkEvent, { type: "tunnel-missing" }>, hop: string): Diagnosis {
  const { from, to } = event;
  const towards = to.local_ip === null ? "" : ` (${to.local_ip})`;
  const has =
    event.tunnels.length === 0
      ? "no VXLAN port on this network"
      : `tunnels to ${event.tunnels.join(", ")} only`;
  const cause =
    to.local_ip === null
      ? `host ${to.host} has no tunnel endpoint: its agent runs without --local-ip`
      : from.local_ip === null
        ? `host ${from.host} has no tunnel endpoint: its agent runs without --local-ip`
        : `${from.host}'s br-tun has ${has}`;
  return {
    code: "tunnel-missing",
    hop,
    message: `The destination is on host ${to.host}, but host ${from.host} sends nothing into a VXLAN tunnel towards ${to.host}${towards}: ${cause}.`,
    fix:
      to.local_ip === null || from.local_ip === null
        ? `Start the agent of ${to.local_ip === null ? to.host : from.host} with --local-ip ADDRESS (its tunnel endpoint on the underlay), then netlens drift repair --all.`
        : `netlens drift repair --all (the agent of ${from.host} lays its tunnels again); check that ${to.host}'s --local-ip ${to.local_ip} is the address ${from.host} reaches it by.`,
  };
}

function hostDown(host: { host: string; last_seen: string | null }, hop: string): Diagnosis {
  return {
    code: "host-down",
    hop,
    message: `The packet reaches host ${host.host}, whose agent does not answer (${host.last_seen === null ? "never heard from" : `last seen ${host.last_seen}`}): the trace cannot read what it does there.`,
    fix: `Bring the agent on ${host.host} back (systemctl status netlens-agent there); netlens host list shows when it answers again.`,
  };
}

function routeFix(kind: Place["kind"]): string {
  switch (kind) {
    case "dhcp":
      return "A DHCP namespace answers its own network only: its default route is the subnet's gateway.";
    case "uplink":
      return "From outside, tenant addresses are reached through a floating IP: trace to the floating IP instead.";
    case "router":
      return "Attach the destination's subnet to the router (netlens router add subnet), or give the router a gateway or a route.";
    case "instance":
      return "Give the subnet a gateway held by a router interface, or a host route.";
    default: {
      const unreachable: never = kind;
      return String(unreachable);
    }
  }
}

function fipsOf(model: TraceModel, endpoint: Endpoint) {
  if (endpoint.kind === "floating_ip") return [endpoint.fip];
  const instance = instanceOf(endpoint);
  return instance ? model.floatingIps.filter((f) => f.fixedPortId === instance.portId) : [];
}

type MissingRule = { namespace: string; router: string; what: string; rule: string };

/**
 * The rules of ours that the path relies on and that the host does not have. Which rules a router should have
 * is the intent's to say: its gateway, and the floating IPs it NATs (none without a gateway).
 */
function missingRules(input: DiagnoseInput): MissingRule[] {
  const { model, places } = input;
  const missing: MissingRule[] = [];
  const outward = input.from.kind === "outside" || input.to.kind === "outside";
  for (const [endpoint, role] of [
    [input.from, "source"],
    [input.to, "destination"],
  ] as const) {
    const instance = instanceOf(endpoint);
    if (!instance) continue;
    const ownFips = new Set(
      model.floatingIps.filter((f) => f.fixedPortId === instance.portId).map((f) => f.id),
    );
    for (const router of routersOf(model, endpoint)) {
      const onHost = model.intentRouters.get(router.row.id);
      const gateway = onHost?.gateway;
      const namespace = places.routers.get(router.row.id)?.namespace;
      if (!onHost || !gateway || namespace === undefined) continue;
      const { info } = seenFrom(input, namespace);
      const rules = input.nat.get(namespace);
      const check = (what: string, rule: string) => {
        if (rules === undefined) return; // not read: nothing to say
        if (!rules.some((r) => r.rule === rule))
          missing.push({ namespace, router: name(router.row), what, rule });
      };
      const nated = onHost.floating_ips.find((f) => ownFips.has(f.id));
      const fip =
        endpoint.kind === "floating_ip"
          ? { floating: endpoint.fip.floatingIpAddress, fixed: endpoint.fip.fixedIpAddress }
          : nated && { floating: nated.floating_ip_address, fixed: nated.fixed_ip_address };
      if (fip && fip.fixed !== null && (endpoint.kind === "floating_ip" || (role === "source" && outward))) {
        if (endpoint.kind === "floating_ip") {
          check(
            `The DNAT rule of floating IP ${fip.floating}`,
            floatingIpRules(info.chain_prefix, fip.floating, fip.fixed).prerouting,
          );
        }
        check(
          `The SNAT rule of floating IP ${fip.floating}`,
          floatingIpRules(info.chain_prefix, fip.floating, fip.fixed).floatSnat,
        );
      } else if (role === "source" && outward && gateway.enable_snat) {
        check("The router's gateway SNAT rule", gatewaySnatRule(info.chain_prefix, gateway));
      }
    }
  }
  return missing;
}
