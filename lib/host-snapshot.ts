// What a host holds, as inspection shows it: the sections an agent reads (`ovs-vsctl show`, OVS ports, per
// namespace `ip -json addr`/`route` and the nat table) and a snapshot of them. Shared: the agent builds them,
// the server relays and compares them, the dashboard and the CLI show them. Types only.

/** Sections per namespace of ours (`<prefix>qrouter-*`, `<prefix>qprobe-*`, `<prefix>quplink-*`, `<prefix>qdhcp-*`). */
export type NamespaceSectionKind = "addr" | "routes" | "nat" | "dhcp" | "conntrack" | "ha";

/**
 * Where a section lives in a snapshot: the host-wide ones by name, the per-namespace ones as
 * `netns/<namespace>/<kind>` (e.g. `netns/qrouter-<router id>/nat`). Each section also names its own kind and
 * namespace, so a consumer never has to parse the key.
 */
export type SnapshotSectionKey =
  | "ovs"
  | "ovsPorts"
  | "revision"
  | "health"
  | "bindings"
  | `netns/${string}/${NamespaceSectionKind}`;

/**
 * `hash`: a digest of the section's content (sha256, hex, first 16 characters). Equal hashes mean equal content,
 * so a consumer can tell what changed without comparing the data.
 */
type Hashed = { hash: string };

/** `ovs-vsctl show` of the agent's OVSDB, verbatim. */
export type OvsShowSection = Hashed & { kind: "ovs"; text: string };

export type SnapshotOvsInterface = {
  name: string;
  /** "" for a plain (system) interface, "internal", "patch", ... */
  type: string;
  /** null while vswitchd has not opened it; -1 when it could not. */
  ofport: number | null;
  /** e.g. {peer: "phy-br-ex"} for a patch port. */
  options: Record<string, string>;
  external_ids: Record<string, string>;
};

export type SnapshotOvsPort = {
  bridge: string;
  name: string;
  /** The local VLAN (access port); null for a trunk or an untagged port. */
  tag: number | null;
  interfaces: SnapshotOvsInterface[];
};

/** The agent's bridges (integration + mapped physical ones) and all their ports, sorted by bridge and name. */
export type OvsPortsSection = Hashed & {
  kind: "ovsPorts";
  bridges: { name: string; datapath_type: string; fail_mode: string | null }[];
  ports: SnapshotOvsPort[];
};

/** One element of `ip -json addr` as iproute2 prints it (the fields named here, and any others it adds). */
export type IpJsonLink = {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  address?: string;
  addr_info?: {
    family?: string;
    local?: string;
    prefixlen?: number;
    scope?: string;
    [field: string]: unknown;
  }[];
  [field: string]: unknown;
};

/** One element of `ip -json route` as iproute2 prints it. */
export type IpJsonRoute = {
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  flags?: string[];
  [field: string]: unknown;
};

export type AddrSection = Hashed & { kind: "addr"; namespace: string; links: IpJsonLink[] };

export type RoutesSection = Hashed & { kind: "routes"; namespace: string; routes: IpJsonRoute[] };

/** A rule of our nat chains (or a built-in chain's jump into one), with its counters. */
export type NatRuleCounters = {
  chain: string;
  /** As `iptables -t nat -S` prints it, e.g. "-A netlens-PREROUTING -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5". */
  rule: string;
  packets: number;
  bytes: number;
};

/**
 * Router namespaces only. `text`: `iptables-save -t nat -c` verbatim but for its two comment lines ("# Generated
 * by ... on <date>", "# Completed on <date>"), which carry the time of the read and would make every read differ.
 * The counters are part of the content: traffic through a rule changes the section.
 */
export type NatSection = Hashed & { kind: "nat"; namespace: string; text: string; rules: NatRuleCounters[] };

/**
 * DHCP namespaces only: the network's dnsmasq as the agent runs it (`pid` of the process its pid file names, when
 * that process is dnsmasq with that pid file and alive), its hosts and options files verbatim, and the last lines
 * of its log.
 */
export type DhcpSection = Hashed & {
  kind: "dhcp";
  namespace: string;
  network_id: string;
  running: boolean;
  pid: number | null;
  hosts: string | null;
  opts: string | null;
  log: string[];
};

/** What this host is for an HA router (Neutron's `ha_state`). */
export type HaState = "active" | "standby" | "fault";

/**
 * HA router namespaces only: the router's keepalived as the agent runs it (`pid` as for dnsmasq) and what this
 * host is for the router: `active` when keepalived runs and holds the primary VIP (169.254.0.<vr_id>/24) on the
 * `ha-` device, i.e. it is VRRP MASTER and holds the router's addresses; `standby` when it runs without; `fault`
 * when it does not run or the `ha-` device is missing or down.
 */
export type HaSection = Hashed & {
  kind: "ha";
  namespace: string;
  router_id: string;
  ha_state: HaState;
  running: boolean;
  pid: number | null;
};

/** One direction of a tracked connection: addresses, and ports (TCP, UDP) where the protocol has them. */
export type ConntrackTuple = { src: string; dst: string; sport: number | null; dport: number | null };

/** One line of `conntrack -L`: the connection as it came (original) and as its answers go (reply), after NAT. */
export type ConntrackEntry = {
  protocol: string;
  /** TCP's state (ESTABLISHED, TIME_WAIT, ...); null for the others. */
  state: string | null;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  /** [ASSURED], [UNREPLIED] without brackets. */
  flags: string[];
  /** The line verbatim, its timeout included. */
  text: string;
};

/**
 * Router namespaces only: `conntrack -L` in the namespace, parsed. The timeouts count down, so they are left out
 * of the hash: a section changes when a connection comes, goes or changes state, not every second.
 */
export type ConntrackSection = Hashed & { kind: "conntrack"; namespace: string; entries: ConntrackEntry[] };

export type RevisionSection = Hashed & { kind: "revision"; applied_revision: number };

export type AgentError = { message: string; at: string; source: "apply" | "observe" };

/**
 * `last_error`: the most recent of the last apply's error (null once an apply succeeds) and the last host read's
 * error (null once a read succeeds). `uptime_s` is as of the event's `taken_at` and is left out of the hash:
 * otherwise the section would change on every read.
 */
export type HealthSection = Hashed & {
  kind: "health";
  started_at: string;
  uptime_s: number;
  last_error: AgentError | null;
  last_apply_at: string | null;
};

/**
 * What became of an interface that someone else plugged into the integration bridge with
 * `external_ids:iface-id=<port id>` (libvirt's tap for a VM, a container's veth), as Neutron's OVS agent treats it:
 * - bound: tagged with its network's local VLAN; the port is ACTIVE on this host;
 * - unbound: no port of the host's intent has that id; on the dead VLAN (4095), as Neutron leaves it;
 * - down: the port's admin_state_up is false: on the dead VLAN;
 * - error: not bound, `message` says why (the port is bound on another host, plugged twice here); dead VLAN;
 * - unplugged: OVS still lists it but its device is gone (ofport -1): nothing to wire, the port is DOWN.
 */
export type PluggedInterfaceState = "bound" | "unbound" | "down" | "error" | "unplugged";

export type PluggedInterface = {
  /** The OVS port (and interface) on the integration bridge. */
  name: string;
  iface_id: string;
  /** external_ids:attached-mac, as the plugger set it (libvirt and os-vif do); null when absent. */
  attached_mac: string | null;
  state: PluggedInterfaceState;
  /** The port it is bound to (state bound) or meant for (down, error); null when unbound. */
  port_id: string | null;
  network_id: string | null;
  /** The tag the agent gave it: the local VLAN, 4095 (dead), or null where it left the interface alone. */
  tag: number | null;
  message: string | null;
};

/** Interfaces on the integration bridge carrying an iface-id that the agent did not make itself. */
export type BindingsSection = Hashed & { kind: "bindings"; interfaces: PluggedInterface[] };

export type HostSection =
  | OvsShowSection
  | OvsPortsSection
  | AddrSection
  | RoutesSection
  | NatSection
  | DhcpSection
  | ConntrackSection
  | HaSection
  | RevisionSection
  | HealthSection
  | BindingsSection;

export type HostSections = { [key in SnapshotSectionKey]?: HostSection };

/** What the `snapshot` query returns: every section as of `taken_at`. */
export type HostSnapshot = {
  host: string;
  /** Increases by one each time any section's hash changes (per agent process). */
  seq: number;
  taken_at: string;
  sections: HostSections;
};
