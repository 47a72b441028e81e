// PURE: what a host must have (the intent the server compiled for it) vs what its agent reports (a snapshot),
// per resource of the model. Rule texts are the ones the agent applies (lib/router-nat.ts), so that they compare
// as strings with what the agent read. No I/O here.
import type { HostIntent } from "../../agent/contract/intent";
import type {
  DhcpSection,
  HaState,
  HostSections,
  IpJsonLink,
  IpJsonRoute,
  NatSection,
  SnapshotOvsPort,
} from "../../lib/host-snapshot";
import { deviceNames, haPrimaryVip, namespaceNames, ownNamespacePattern } from "../../lib/names";
import { chainNames, METADATA_ADDRESS, routerFloatingIps, routerOwnRules } from "../../lib/router-nat";
import type { IntentInputs } from "../agents/intent";

export type DriftKind = "router" | "floating_ip" | "server" | "network";

export type DriftEntry = {
  what: "namespace" | "device" | "address" | "route" | "nat" | "ovs-port" | "tag" | "process";
  /** As an operator would type or read it: a rule as `iptables -S` prints it, `10.0.0.1/24 on qr-…`, ... */
  text: string;
};

export type DriftItem = {
  kind: DriftKind;
  id: string;
  name: string;
  host: string;
  /** Where it lives on the host (the router's namespace for a floating IP). */
  namespace: string | null;
  missing: DriftEntry[];
  extra: DriftEntry[];
  /** The id the agent knows the resource by: a floating IP is repaired by re-applying its router. */
  repair_id: string;
};

export type DriftSettings = {
  host: string;
  prefix: string;
  /** The agent's nat chain prefix; null: read from the rules it reports. */
  chainPrefix: string | null;
  /** The agent's integration bridge; null: the bridge of the snapshot that is not a physical one. */
  integrationBridge: string | null;
  bridgeMappings: Record<string, string>;
};

/** Our chain suffixes, as lib/router-nat.ts names the chains; longest first ("-float-snat" before "-snat"). */
const CHAIN_SUFFIXES = Object.values(chainNames("")).sort((a, b) => b.length - a.length);
const BUILTINS = new Set(["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]);

/** The agent's chain prefix as its rules show it: `<p>-PREROUTING` and friends. */
function chainPrefixOf(sections: HostSections): string | null {
  for (const section of Object.values(sections)) {
    if (section?.kind !== "nat") continue;
    for (const rule of section.rules) {
      if (BUILTINS.has(rule.chain)) continue;
      const suffix = CHAIN_SUFFIXES.find((s) => rule.chain.endsWith(s));
      if (suffix !== undefined) return rule.chain.slice(0, -suffix.length);
    }
    const declared = /^:(\S+)-float-snat /m.exec(section.text);
    if (declared?.[1] !== undefined) return declared[1];
  }
  return null;
}

/** `ip -json route` prints a /32 without its length and the default route as "default". */
function routeKey(destination: string, via: string | undefined): string {
  const dst = destination === "0.0.0.0/0" ? "default" : destination.replace(/\/32$/, "");
  return via === undefined ? dst : `${dst} via ${via}`;
}

type Observed = {
  namespaces: Set<string>;
  links: Map<string, IpJsonLink[]>;
  routes: Map<string, IpJsonRoute[]>;
  nat: Map<string, NatSection>;
  dhcp: Map<string, DhcpSection>;
  /** HA routers' namespaces: what this host is for the router. */
  haStates: Map<string, HaState>;
  ports: SnapshotOvsPort[];
  bridges: string[];
};

function observe(sections: HostSections): Observed {
  const o: Observed = {
    namespaces: new Set(),
    links: new Map(),
    routes: new Map(),
    nat: new Map(),
    dhcp: new Map(),
    haStates: new Map(),
    ports: [],
    bridges: [],
  };
  for (const section of Object.values(sections)) {
    if (section === undefined) continue;
    switch (section.kind) {
      case "addr":
        o.namespaces.add(section.namespace);
        o.links.set(section.namespace, section.links);
        break;
      case "routes":
        o.namespaces.add(section.namespace);
        o.routes.set(section.namespace, section.routes);
        break;
      case "nat":
        o.namespaces.add(section.namespace);
        o.nat.set(section.namespace, section);
        break;
      case "dhcp":
        o.namespaces.add(section.namespace);
        o.dhcp.set(section.namespace, section);
        break;
      case "ha":
        o.haStates.set(section.namespace, section.ha_state);
        break;
      case "ovsPorts":
        o.ports = section.ports;
        o.bridges = section.bridges.map((b) => b.name);
        break;
      case "ovs":
      case "revision":
      case "health":
      // Connections come and go with traffic: nothing the model asks for.
      case "conntrack":
      // Workloads plugged by others are not the intent's: what became of them updates their ports instead.
      case "bindings":
        break;
      default: {
        const unreachable: never = section;
        throw new Error(`Unknown section ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return o;
}

function inetAddresses(link: IpJsonLink): string[] {
  return (link.addr_info ?? [])
    .filter((a) => a.family === "inet" && typeof a.local === "string")
    .map((a) => `${a.local}/${a.prefixlen}`);
}

function externalIdsOf(port: SnapshotOvsPort): Record<string, string> {
  return port.interfaces[0]?.external_ids ?? {};
}

/** Collects entries per resource while the host is walked. */
class Collector {
  readonly items = new Map<string, DriftItem>();
  constructor(private readonly host: string) {}

  item(kind: DriftKind, id: string, name: string, namespace: string | null, repairId = id): DriftItem {
    const key = `${kind}:${id}`;
    let item = this.items.get(key);
    if (item === undefined) {
      item = { kind, id, name, host: this.host, namespace, missing: [], extra: [], repair_id: repairId };
      this.items.set(key, item);
    }
    return item;
  }

  drifted(): DriftItem[] {
    return [...this.items.values()]
      .filter((i) => i.missing.length > 0 || i.extra.length > 0)
      .sort((a, b) => (a.kind + a.name + a.id < b.kind + b.name + b.id ? -1 : 1));
  }
}

/**
 * The resources whose host state differs from the intent: missing or extra namespaces, devices, addresses,
 * routes, nat rules, OVS ports, wrong bridge or tag. Namespaces and OVS ports of ours that no resource wants are
 * reported against the resource their name or external_ids name.
 */
export function computeDrift(
  intent: HostIntent,
  inputs: Pick<IntentInputs, "routers" | "floatingIps" | "instances" | "networks">,
  sections: HostSections,
  settings: DriftSettings,
): DriftItem[] {
  const o = observe(sections);
  const out = new Collector(settings.host);
  const chainPrefix = settings.chainPrefix ?? chainPrefixOf(sections) ?? "netlens";
  const physical = new Set(Object.values(settings.bridgeMappings));
  const integration = settings.integrationBridge ?? o.bridges.find((b) => !physical.has(b)) ?? "br-int";
  const routerName = new Map(inputs.routers.map((r) => [r.id, r.name]));
  const instanceName = new Map(inputs.instances.map((i) => [i.id, i.name]));
  const networkName = new Map(inputs.networks.map((n) => [n.id, n.name]));
  const fipsByAddress = new Map(inputs.floatingIps.map((f) => [f.floatingIpAddress, f]));
  const portsByName = new Map(o.ports.map((p) => [p.name, p]));
  const desiredNamespaces = new Set<string>();
  const desiredPorts = new Set<string>();

  // The local VLAN of each network: the tag most of its ports on the integration bridge carry.
  const tagVotes = new Map<string, Map<number, number>>();
  for (const port of o.ports) {
    const network = externalIdsOf(port)["netlens-network-id"];
    if (port.bridge !== integration || network === undefined || port.tag === null) continue;
    const votes = tagVotes.get(network) ?? new Map<number, number>();
    votes.set(port.tag, (votes.get(port.tag) ?? 0) + 1);
    tagVotes.set(network, votes);
  }
  const localVlan = (network: string): number | null => {
    const votes = [...(tagVotes.get(network) ?? [])].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return votes[0]?.[0] ?? null;
  };

  /** An OVS port we plugged: on its bridge, with its network's tag. */
  const checkPort = (item: DriftItem, name: string, bridge: string, tag: number | null | "local") => {
    desiredPorts.add(name);
    const port = portsByName.get(name);
    if (port === undefined) {
      item.missing.push({ what: "ovs-port", text: `${name} on ${bridge}` });
      return;
    }
    if (port.bridge !== bridge) {
      item.missing.push({ what: "ovs-port", text: `${name} on ${bridge}` });
      item.extra.push({ what: "ovs-port", text: `${name} on ${port.bridge}` });
      return;
    }
    const network = externalIdsOf(port)["netlens-network-id"];
    const want = tag === "local" ? (network === undefined ? null : localVlan(network)) : tag;
    if (tag === "local" && want === null) return;
    if (port.tag !== want) {
      item.missing.push({ what: "tag", text: `${name} tag ${want ?? "none"}` });
      item.extra.push({ what: "tag", text: `${name} tag ${port.tag ?? "none"}` });
    }
  };

  /** A device in a namespace and its addresses; returns the addresses seen (null: no such device). */
  const checkDevice = (item: DriftItem, ns: string, dev: string, want: string[]): Set<string> | null => {
    const link = o.links.get(ns)?.find((l) => l.ifname === dev);
    if (link === undefined) {
      if (o.namespaces.has(ns)) item.missing.push({ what: "device", text: `${dev} in ${ns}` });
      return null;
    }
    const have = new Set(inetAddresses(link));
    for (const address of want)
      if (!have.has(address)) item.missing.push({ what: "address", text: `${address} on ${dev}` });
    return have;
  };

  const checkRoutes = (item: DriftItem, ns: string, want: { destination: string; via: string }[]) => {
    if (!o.namespaces.has(ns)) return;
    const have = new Set(
      (o.routes.get(ns) ?? [])
        .filter((r) => r.protocol !== "kernel" && typeof r.dst === "string")
        .map((r) => routeKey(r.dst ?? "", r.gateway)),
    );
    const wanted = new Set(want.map((r) => routeKey(r.destination, r.via)));
    for (const route of wanted) if (!have.has(route)) item.missing.push({ what: "route", text: route });
    for (const route of have) if (!wanted.has(route)) item.extra.push({ what: "route", text: route });
  };

  const checkNamespace = (item: DriftItem, ns: string, devices: string[]) => {
    desiredNamespaces.add(ns);
    if (!o.namespaces.has(ns)) {
      item.missing.push({ what: "namespace", text: ns });
      return;
    }
    const known = new Set(["lo", ...devices]);
    for (const link of o.links.get(ns) ?? []) {
      if (link.ifname !== undefined && !known.has(link.ifname))
        item.extra.push({ what: "device", text: `${link.ifname} in ${ns}` });
    }
  };

  for (const router of intent.routers) {
    const ns = namespaceNames.router(settings.prefix, router.id);
    const item = out.item("router", router.id, routerName.get(router.id) ?? "", ns);
    const gateway = router.gateway;
    const qg = gateway ? deviceNames.routerGateway(gateway.port_id) : null;
    const qrs = router.interfaces.map((i) => deviceNames.routerInterface(i.port_id));
    const ha = router.ha;
    const haDev = ha === undefined ? null : deviceNames.routerHa(ha.ha_port.port_id);
    checkNamespace(item, ns, [...(qg ? [qg] : []), ...qrs, ...(haDev ? [haDev] : [])]);
    const present = o.namespaces.has(ns);
    // An HA router's addresses and routes are keepalived's, on the host where it is active only: elsewhere each
    // one there is extra (two hosts answering for one address).
    const haState = o.haStates.get(ns);
    const holds = ha === undefined || haState === "active";

    const fipItem = (fipId: string, address: string) =>
      out.item("floating_ip", fipId, address, ns, router.id);
    // Associated with a port or forwarding ports: each floating IP with its own rules.
    const floating = routerFloatingIps(router, chainPrefix);
    const ownAddresses = new Set<string>();
    if (gateway !== null && qg !== null) {
      const gw = `${gateway.ip_address}/${gateway.prefixlen}`;
      if (holds) ownAddresses.add(gw);
      const have = checkDevice(item, ns, qg, holds ? [gw] : []);
      for (const fip of floating) {
        if (!holds) break;
        const address = `${fip.address}/32`;
        ownAddresses.add(address);
        if (present && (have === null || !have.has(address)))
          fipItem(fip.id, fip.address).missing.push({
            what: "address",
            text: `${address} on ${qg}`,
          });
      }
      for (const address of have ?? [])
        if (!ownAddresses.has(address)) item.extra.push({ what: "address", text: `${address} on ${qg}` });
      checkPort(item, deviceNames.tap(gateway.port_id), integration, "local");
    }
    for (const iface of router.interfaces) {
      const dev = deviceNames.routerInterface(iface.port_id);
      const want = `${iface.ip_address}/${iface.prefixlen}`;
      const have = checkDevice(item, ns, dev, holds ? [want] : []);
      for (const address of have ?? [])
        if (!holds || address !== want) item.extra.push({ what: "address", text: `${address} on ${dev}` });
      checkPort(item, deviceNames.tap(iface.port_id), integration, "local");
    }
    if (ha !== undefined && haDev !== null) {
      const own = `${ha.ha_port.ip_address}/${ha.ha_port.prefixlen}`;
      const vip = haPrimaryVip(ha.vr_id);
      for (const address of checkDevice(item, ns, haDev, [own]) ?? [])
        if (address !== own && (!holds || address !== vip))
          item.extra.push({ what: "address", text: `${address} on ${haDev}` });
      checkPort(item, deviceNames.tap(ha.ha_port.port_id), integration, "local");
      if (present && (haState === undefined || haState === "fault"))
        item.missing.push({
          what: "process",
          text: `keepalived in ${ns} (ha_state ${haState ?? "unknown"})`,
        });
    }
    checkRoutes(
      item,
      ns,
      holds
        ? [
            ...(gateway?.gateway_ip ? [{ destination: "default", via: gateway.gateway_ip }] : []),
            ...router.routes.map((r) => ({ destination: r.destination, via: r.nexthop })),
          ]
        : [],
    );

    // NAT: each rule belongs to the floating IP it names, the others to the router.
    const nat = o.nat.get(ns);
    if (!present) {
      for (const fip of floating)
        fipItem(fip.id, fip.address).missing.push(
          ...fip.rules.map((text) => ({ what: "nat" as const, text })),
        );
      continue;
    }
    const have = new Set((nat?.rules ?? []).map((r) => r.rule));
    const wanted = new Set<string>();
    for (const rule of routerOwnRules(router, chainPrefix)) {
      wanted.add(rule);
      if (!have.has(rule)) item.missing.push({ what: "nat", text: rule });
    }
    for (const fip of floating) {
      for (const rule of fip.rules) {
        wanted.add(rule);
        if (!have.has(rule)) fipItem(fip.id, fip.address).missing.push({ what: "nat", text: rule });
      }
    }
    for (const rule of have) {
      if (wanted.has(rule)) continue;
      const named = /(?:-d|--to-source) (\d+\.\d+\.\d+\.\d+)(?:\/32)?(?: |$)/.exec(rule)?.[1];
      const fip = named === undefined ? undefined : fipsByAddress.get(named);
      const target =
        fip !== undefined && fip.routerId === router.id ? fipItem(fip.id, fip.floatingIpAddress) : item;
      target.extra.push({ what: "nat", text: rule });
    }
  }

  for (const instance of intent.instances) {
    const ns = namespaceNames.instance(settings.prefix, instance.port_id);
    const item = out.item("server", instance.id, instanceName.get(instance.id) ?? "", ns);
    checkNamespace(item, ns, ["eth0"]);
    const want = `${instance.ip_address}/${instance.prefixlen}`;
    const have = checkDevice(item, ns, "eth0", [want]);
    for (const address of have ?? [])
      if (address !== want) item.extra.push({ what: "address", text: `${address} on eth0` });
    checkRoutes(item, ns, [
      ...(instance.gateway_ip ? [{ destination: "default", via: instance.gateway_ip }] : []),
      ...instance.host_routes.map((r) => ({ destination: r.destination, via: r.nexthop })),
    ]);
    checkPort(item, deviceNames.tap(instance.port_id), integration, "local");
  }

  for (const uplink of intent.uplinks) {
    const ns = namespaceNames.uplink(settings.prefix, uplink.network_id);
    const item = out.item("network", uplink.network_id, networkName.get(uplink.network_id) ?? "", ns);
    checkNamespace(item, ns, ["eth0"]);
    const have = checkDevice(item, ns, "eth0", [uplink.address]);
    for (const address of have ?? [])
      if (address !== uplink.address) item.extra.push({ what: "address", text: `${address} on eth0` });
    checkRoutes(item, ns, []);
    const bridge = settings.bridgeMappings[uplink.physical_network];
    if (bridge !== undefined)
      checkPort(item, deviceNames.uplinkTap(uplink.network_id), bridge, uplink.segmentation_id);
  }

  // A network's DHCP server: its namespace, its port's device and addresses, its tap, and dnsmasq running.
  for (const dhcp of intent.dhcp ?? []) {
    const ns = namespaceNames.dhcp(settings.prefix, dhcp.network_id);
    const item = out.item("network", dhcp.network_id, networkName.get(dhcp.network_id) ?? "", ns);
    const dev = deviceNames.dhcpInside(dhcp.port_id);
    checkNamespace(item, ns, [dev]);
    const want = [
      ...dhcp.addresses.map((a) => `${a.ip_address}/${a.prefixlen}`),
      // An isolated network's metadata address (agent/plan/dhcp.ts).
      ...(dhcp.metadata === true ? [`${METADATA_ADDRESS}/32`] : []),
    ];
    const have = checkDevice(item, ns, dev, want);
    for (const address of have ?? [])
      if (!want.includes(address)) item.extra.push({ what: "address", text: `${address} on ${dev}` });
    checkPort(item, deviceNames.tap(dhcp.port_id), integration, "local");
    const server = o.dhcp.get(ns);
    if (o.namespaces.has(ns) && server?.running !== true)
      item.missing.push({ what: "process", text: `dnsmasq in ${ns}` });
  }

  // Ours, but wanted by nobody: namespaces by their name, OVS ports by their external_ids.
  const ownNamespace = ownNamespacePattern(settings.prefix);
  const strayItem = (ns: string): DriftItem | null => {
    const match = ownNamespace.exec(ns);
    if (match === null) return null;
    const [, type, id = ""] = match;
    if (type === "qrouter") return out.item("router", id, routerName.get(id) ?? "", ns);
    if (type === "quplink" || type === "qdhcp") return out.item("network", id, networkName.get(id) ?? "", ns);
    const instance = inputs.instances.find((i) => i.portId === id);
    return out.item("server", instance?.id ?? id, instance?.name ?? "", ns, instance?.id ?? id);
  };
  for (const ns of o.namespaces) {
    if (!desiredNamespaces.has(ns)) strayItem(ns)?.extra.push({ what: "namespace", text: ns });
  }
  for (const port of o.ports) {
    const ids = externalIdsOf(port);
    if (desiredPorts.has(port.name) || ids["netlens-prefix"] !== settings.prefix) continue;
    const owner = ids["netlens-namespace"];
    strayItem(owner ?? "")?.extra.push({ what: "ovs-port", text: `${port.name} on ${port.bridge}` });
  }
  return out.drifted();
}
