// From the topology data to React Flow's nodes and edges, without positions (layout.ts adds them). Pure: the
// same topology gives equal nodes, which is what lets `reuseUnchanged` keep unchanged node objects identical.
import type { Edge, Node } from "@xyflow/react";
import type { TopoBinding, TopoDhcpPort, TopoFloatingIp, TopoHaState, Topology } from "./model";

type Common = { id: string; name: string; status: string; adminStateUp: boolean; projectId: string };

/** A network's DHCP port as one line of its card: `DHCP 10.0.0.2 · on compute-1`. */
export type DhcpLine = { portId: string; ips: string[]; binding: string; status: string };

/** A floating IP as a badge: `203.0.113.20 → 10.0.0.5`. */
export type FipBadge = { id: string; floating: string; fixed: string | null; status: string };

export type ExternalNetworkData = Common & {
  cidrs: string[];
  physicalNetwork: string | null;
  networkType: string;
  /** Addresses for search: subnets' gateways and every floating IP allocated from here. */
  floatingCount: number;
  /** null: no DHCP port. */
  dhcp: DhcpLine | null;
};
export type NetworkData = Common & {
  subnets: { name: string; cidr: string; gateway: string | null }[];
  networkType: string;
  segmentationId: number | null;
  shared: boolean;
  instanceCount: number;
  collapsed: boolean;
  /** null: no DHCP port. */
  dhcp: DhcpLine | null;
};
export type RouterData = Common & {
  /** null: no gateway set. */
  snat: boolean | null;
  gatewayIp: string | null;
  routes: { destination: string; nexthop: string }[];
  floatingIps: FipBadge[];
  /** Why it is on no host (a router waiting for a network node); null: it has one (or it is not said). */
  waiting: string | null;
  /** The host its namespace is on; null: not known, or not for this viewer. */
  host: string | null;
  /** Neutron's L3 HA router. */
  ha: boolean;
  /** An HA router's nodes, the active one first; empty: not known, or not for this viewer (hosts are for admins). */
  haHosts: TopoHaState[];
};
export type InstanceData = Common & {
  ip: string | null;
  floatingIps: FipBadge[];
  /** Its port's binding: "on <host>", "bound" (host hidden), "not bound", or null when unknown. */
  binding: string | null;
  /** The host it is scheduled to (else the one its port is bound on); null: not known, or not for this viewer. */
  host: string | null;
};

export type ExternalNetworkNode = Node<ExternalNetworkData, "external">;
export type NetworkNode = Node<NetworkData, "network">;
export type RouterNode = Node<RouterData, "router">;
export type InstanceNode = Node<InstanceData, "instance">;
export type TopologyNode = ExternalNetworkNode | NetworkNode | RouterNode | InstanceNode;
export type NodeKind = TopologyNode["type"];

export type PortEdgeData = { kind: "gateway" | "interface" | "instance"; portId: string; status: string };
export type TopologyEdge = Edge<PortEdgeData>;

/** Edge look from plain data: a kind class for colour; a port still being applied is drawn moving. */
function portEdge(
  id: string,
  source: string,
  target: string,
  label: string | null,
  data: PortEdgeData,
  hidden = false,
): TopologyEdge {
  return {
    id,
    source,
    target,
    ...(label !== null ? { label } : {}),
    className: `edge-${data.kind}`,
    ...(data.status === "PENDING" ? { animated: true } : {}),
    ...(hidden ? { hidden: true } : {}),
    data,
  };
}

/** Fixed sizes per kind (the node components draw to these), so layout needs no measuring pass. */
export const NODE_WIDTH: Record<NodeKind, number> = {
  external: 260,
  router: 230,
  network: 240,
  instance: 214,
};
/** Where a kind meets its edges: the target end on top, the source end at the bottom (edges point down). */
export const NODE_ENDS: Record<NodeKind, { target: boolean; source: boolean }> = {
  external: { target: false, source: true },
  router: { target: true, source: true },
  network: { target: true, source: true },
  instance: { target: true, source: false },
};
const LINE = 16;

export function nodeHeight(node: TopologyNode): number {
  switch (node.type) {
    case "external":
      return 58 + LINE * (Math.max(1, node.data.cidrs.length) + (node.data.dhcp ? 1 : 0));
    case "network":
      // +1 line for the DHCP port, +1 for the "n instances" toggle, when there are any.
      return (
        62 +
        LINE *
          (Math.max(1, node.data.subnets.length) +
            (node.data.dhcp ? 1 : 0) +
            (node.data.instanceCount > 0 ? 1 : 0))
      );
    case "router":
      // +1 line for its host (an HA router: one per node), where the viewer may see it.
      return (
        62 + LINE * (node.data.routes.length + node.data.floatingIps.length + routerHostLines(node.data))
      );
    case "instance":
      return 52 + 18 * node.data.floatingIps.length;
  }
}

/** The lines a router's card gives its hosts: an HA router's nodes, or the one host where the viewer sees it. */
export const routerHostLines = (data: RouterData) =>
  data.haHosts.length > 0 ? data.haHosts.length : data.host !== null ? 1 : 0;

/** The active node first, then standby, then the others. */
const haOrder = (s: TopoHaState) => ["active", "standby", "fault", "unknown"].indexOf(s.ha_state);

/** Adds `value` to the list under `key` (in place: a big router's thousand floating IPs stay linear). */
export function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** One collator for every sort: `localeCompare` with options builds a new one per call (most of buildGraph). */
const numeric = new Intl.Collator("en", { numeric: true });

function badges(fips: TopoFloatingIp[]): FipBadge[] {
  return fips
    .map((f) => ({ id: f.id, floating: f.floating_ip_address, fixed: f.fixed_ip_address, status: f.status }))
    .sort((a, b) => numeric.compare(a.floating, b.floating));
}

function bindingText(binding: TopoBinding): string {
  if (!binding.bound) return "not bound";
  return binding.host === "" ? "bound" : `on ${binding.host}`;
}

function dhcpLine(dhcp: TopoDhcpPort | undefined): DhcpLine | null {
  if (dhcp === undefined) return null;
  return {
    portId: dhcp.port_id,
    ips: dhcp.ip_addresses,
    binding: bindingText(dhcp.binding),
    status: dhcp.status,
  };
}

const byName = <T extends { name: string; id: string }>(a: T, b: T) =>
  numeric.compare(a.name, b.name) || a.id.localeCompare(b.id);

/**
 * Builds the graph. Nodes come out in a fixed order (kind, then name), which the layout uses as its model order:
 * that order is what keeps edges from crossing needlessly and the picture stable between updates.
 */
export function buildGraph(
  topology: Topology,
  collapsed: ReadonlySet<string> = new Set(),
): { nodes: TopologyNode[]; edges: TopologyEdge[] } {
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const networkIds = new Set(topology.networks.map((n) => n.id));
  const fipsByPort = new Map<string, TopoFloatingIp[]>();
  const fipsByRouter = new Map<string, TopoFloatingIp[]>();
  const fipsByNetwork = new Map<string, number>();
  for (const f of topology.floatingIps) {
    fipsByNetwork.set(f.floating_network_id, (fipsByNetwork.get(f.floating_network_id) ?? 0) + 1);
    if (f.port_id !== null) append(fipsByPort, f.port_id, f);
    if (f.router_id !== null) append(fipsByRouter, f.router_id, f);
  }
  const instancesPerNetwork = new Map<string, number>();
  for (const i of topology.instances) {
    instancesPerNetwork.set(i.port.network_id, (instancesPerNetwork.get(i.port.network_id) ?? 0) + 1);
  }

  const networks = [...topology.networks].sort(byName);
  for (const n of networks) {
    const common = {
      id: n.id,
      name: n.name,
      status: n.status,
      adminStateUp: n.admin_state_up,
      projectId: n.project_id,
    };
    if (n.external) {
      nodes.push({
        id: n.id,
        type: "external",
        position: { x: 0, y: 0 },
        ariaLabel: `External network ${n.name || n.id}`,
        data: {
          ...common,
          cidrs: n.subnets.map((s) => s.cidr),
          physicalNetwork: n.physical_network,
          networkType: n.network_type,
          floatingCount: fipsByNetwork.get(n.id) ?? 0,
          dhcp: dhcpLine(n.dhcp),
        },
      });
    } else {
      nodes.push({
        id: n.id,
        type: "network",
        position: { x: 0, y: 0 },
        ariaLabel: `Network ${n.name || n.id}`,
        data: {
          ...common,
          subnets: n.subnets.map((s) => ({ name: s.name, cidr: s.cidr, gateway: s.gateway_ip })),
          networkType: n.network_type,
          segmentationId: n.segmentation_id,
          shared: n.shared,
          instanceCount: instancesPerNetwork.get(n.id) ?? 0,
          collapsed: collapsed.has(n.id),
          dhcp: dhcpLine(n.dhcp),
        },
      });
    }
  }

  for (const r of [...topology.routers].sort(byName)) {
    // Only the floating IPs this router really NATs: an unassociated one has no router.
    const fips = badges((fipsByRouter.get(r.id) ?? []).filter((f) => f.port_id !== null));
    nodes.push({
      id: r.id,
      type: "router",
      position: { x: 0, y: 0 },
      ariaLabel: `Router ${r.name || r.id}`,
      data: {
        id: r.id,
        name: r.name,
        status: r.status,
        adminStateUp: r.admin_state_up,
        projectId: r.project_id,
        snat: r.gateway ? r.gateway.enable_snat : null,
        gatewayIp: r.gateway?.ip_address ?? null,
        routes: r.routes,
        floatingIps: fips,
        waiting: (r.host ?? null) === null && r.status === "PENDING" ? (r.status_message ?? null) : null,
        host: r.host ?? null,
        ha: r.ha ?? false,
        haHosts: [...(r.ha_state ?? [])].sort((a, b) => haOrder(a) - haOrder(b)),
      },
    });
    if (r.gateway && networkIds.has(r.gateway.network_id)) {
      edges.push(
        portEdge(`port:${r.gateway.port_id}`, r.gateway.network_id, r.id, r.gateway.ip_address, {
          kind: "gateway",
          portId: r.gateway.port_id,
          status: r.gateway.status,
        }),
      );
    }
    const interfaces = [...r.interfaces].sort((a, b) => a.network_id.localeCompare(b.network_id));
    for (const p of interfaces) {
      if (!networkIds.has(p.network_id)) continue;
      edges.push(
        portEdge(`port:${p.port_id}`, r.id, p.network_id, p.ip_address, {
          kind: "interface",
          portId: p.port_id,
          status: p.status,
        }),
      );
    }
  }

  for (const i of [...topology.instances].sort(byName)) {
    const hidden = collapsed.has(i.port.network_id);
    nodes.push({
      id: i.id,
      type: "instance",
      position: { x: 0, y: 0 },
      ariaLabel: `Instance ${i.name || i.id}`,
      ...(hidden ? { hidden: true } : {}),
      data: {
        id: i.id,
        name: i.name,
        status: i.status,
        adminStateUp: true,
        projectId: i.project_id,
        ip: i.port.ip_address,
        floatingIps: badges(fipsByPort.get(i.port.port_id) ?? []),
        binding: i.binding === undefined ? null : bindingText(i.binding),
        host: i.host || (i.binding?.bound && i.binding.host) || null,
      },
    });
    if (networkIds.has(i.port.network_id)) {
      edges.push(
        portEdge(
          `port:${i.port.port_id}`,
          i.port.network_id,
          i.id,
          i.port.ip_address,
          { kind: "instance", portId: i.port.port_id, status: i.port.status },
          hidden,
        ),
      );
    }
  }
  return { nodes, edges };
}

/** Every string a user may search a node by: its name, id and addresses. */
function searchTerms(node: TopologyNode): string[] {
  const d = node.data;
  const terms = [d.name, d.id];
  switch (node.type) {
    case "external":
      terms.push(...node.data.cidrs, ...(node.data.dhcp?.ips ?? []));
      break;
    case "network":
      terms.push(
        ...node.data.subnets.flatMap((s) => [s.cidr, s.gateway ?? "", s.name]),
        ...(node.data.dhcp?.ips ?? []),
      );
      break;
    case "router":
      terms.push(node.data.gatewayIp ?? "", ...node.data.floatingIps.map((f) => f.floating));
      break;
    case "instance":
      terms.push(node.data.ip ?? "", ...node.data.floatingIps.map((f) => f.floating));
      break;
  }
  return terms.filter((t) => t !== "");
}

/**
 * An address held by an instance (its own, or a floating IP mapped to it) leads to the instance rather than to the
 * router that NATs it or the network it is on: the thing that holds it first.
 */
const holderRank: Record<TopologyNode["type"], number> = { instance: 0, network: 1, router: 2, external: 3 };

/**
 * The nodes a query matches, best first: an exact address or id, then a name/address that starts with the query,
 * then one that contains it; among equals, the node that holds the address.
 */
export function matchNodes(nodes: readonly TopologyNode[], query: string): TopologyNode[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  return nodes
    .map((n) => {
      const terms = searchTerms(n).map((t) => t.toLowerCase());
      const score = terms.includes(q)
        ? 3
        : terms.some((t) => t.startsWith(q))
          ? 2
          : terms.some((t) => t.includes(q))
            ? 1
            : 0;
      return { n, score };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || holderRank[a.n.type] - holderRank[b.n.type])
    .map((s) => s.n);
}

export const findNode = (nodes: readonly TopologyNode[], query: string): TopologyNode | undefined =>
  matchNodes(nodes, query)[0];
