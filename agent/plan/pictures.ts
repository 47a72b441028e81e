// The two pictures the planner compares: what the intent wants the host to hold (Desired*) and what the host
// reports it holds (Observed*). Plain data, no I/O: read/ fills Observed* (through host/), plan/ builds Desired*.
import type { NatTable } from "../../lib/router-nat";

/** "a.b.c.d/n" */
export type Address = string;

export type NamespaceKind = "router" | "instance" | "uplink" | "dhcp";

/** One end of a veth pair inside a namespace; its other end (`peer`) stays in the root namespace. */
export type DesiredDevice = {
  name: string;
  peer: string;
  /** null: the kernel's random MAC is fine (the simulated uplink has no port in the model). */
  mac: string | null;
  mtu: number;
  /** Sorted, so that plans are stable. */
  addresses: Address[];
  /**
   * Addresses added here are announced with gratuitous ARP, as Neutron's L3 agent does on a gateway port:
   * upstream routers keep ARP entries for hours, and a floating IP that moved would stay unreachable.
   */
  announce: boolean;
  /**
   * An HA router's addresses that keepalived holds on this device while this node is MASTER (and removes when
   * it is not): the agent neither adds nor removes them. Absent: none.
   */
  vips?: Address[];
};

export type DesiredRoute = { destination: string; via: string };

/** What runs inside our namespaces: a network's DHCP server, a router's (or network's) metadata proxy, an HA
 * router's VRRP. */
export type DaemonProgram = "dnsmasq" | "haproxy" | "keepalived";

/** A daemon in a namespace: its command line and its files (path -> content), all of which must be as rendered. */
export type DesiredDaemon = {
  program: DaemonProgram;
  /** Its directory (of its files and pid file) under the agent's state directory. */
  dir: string;
  pidFile: string;
  args: string[];
  files: Record<string, string>;
  /**
   * A file one of whose lines going away needs a restart, not a reload: dnsmasq keeps the lease of a host that
   * left its hosts file in memory (`--leasefile-ro`), so a new port given the same address would be refused until
   * it ran out (Neutron releases it with dhcp_release; a restart forgets it, and the others renew their own).
   */
  restartOnRemoval?: string;
};

/** A daemon of ours a namespace has: pid and command line of the process its pid file names, if it runs; each
 * file's content (null: missing). */
export type ObservedDaemon = {
  program: DaemonProgram;
  dir: string;
  pidFile: string;
  pid: number | null;
  args: string[];
  files: Record<string, string | null>;
};

export type DesiredNamespace = {
  name: string;
  kind: NamespaceKind;
  /** The router, instance or network id that errors name. */
  resourceId: string;
  devices: DesiredDevice[];
  routes: DesiredRoute[];
  /** An HA router's routes, which keepalived sets on the MASTER only: the agent leaves those destinations be. */
  vipRoutes?: DesiredRoute[];
  /**
   * false: IPv6 off in the namespace, set as it is made, before its devices come up (an HA router's: its
   * standby's devices have the MASTER's MACs, and their IPv6 chatter as they come up (DAD, router solicitations,
   * MLD reports) would teach the switches that those MACs are behind the standby). Absent: left as the kernel has it.
   */
  ipv6?: false;
  /** net.ipv4.ip_forward=1: routers only. */
  forwarding: boolean;
  /** Router namespaces only. */
  nat: NatTable | null;
  /** Router namespaces only: the mark on what enters from outside, for the hairpin SNAT. */
  mangle?: NatTable;
  /** dnsmasq in a DHCP namespace (and haproxy on an isolated network), haproxy in a router's. */
  daemons?: DesiredDaemon[];
  /** The device whose addresses and routes come by DHCP (a probe on a DHCP subnet), not from `ip addr add`. */
  dhcpClient?: string;
};

export type DesiredOvsPort = {
  name: string;
  bridge: string;
  tag: number | null;
  externalIds: Record<string, string>;
  resourceId: string;
};

/** A VXLAN port on the tunnel bridge towards one other host; `options` as OVSDB holds them (all strings). */
export type DesiredTunnelPort = { name: string; bridge: string; options: Record<string, string> };

/** All flows of one bridge, in the form `ovs-ofctl dump-flows --names` prints them (cookie first). */
/** `digest`: of the flows, where the planner has one cheaper than hashing them all (converge/scope.ts). */
export type DesiredFlows = { bridge: string; flows: string[]; digest?: string };

export type PlanError = { resource_id: string; message: string };

export type DesiredHost = {
  namespaces: DesiredNamespace[];
  ovsPorts: DesiredOvsPort[];
  /** The tunnel bridge's VXLAN ports (none on a host without a tunnel endpoint). */
  tunnelPorts: DesiredTunnelPort[];
  flows: DesiredFlows[];
  /** Resources the planner refused (e.g. a gateway on an unmapped physical network); they get no changes. */
  errors: PlanError[];
};

export type ObservedDevice = {
  name: string;
  mac: string;
  mtu: number;
  up: boolean;
  addresses: Address[];
};

export type ObservedRoute = { destination: string; via: string | null; dev: string | null; protocol: string };

export type ObservedNamespace = {
  name: string;
  loUp: boolean;
  /** Devices other than lo. */
  devices: ObservedDevice[];
  routes: ObservedRoute[];
  /** Parsed `iptables-save -t nat`; null when not read (not a router namespace). */
  nat: NatTable | null;
  /** Parsed `iptables-save -t mangle`, read with the nat table; absent when not read. */
  mangle?: NatTable;
  /** The daemons of ours it runs (read where the namespace may run some). */
  daemons?: ObservedDaemon[];
};

export type ObservedOvsPort = {
  name: string;
  bridge: string;
  tag: number | null;
  externalIds: Record<string, string>;
  ofport: number | null;
};

/** A VXLAN port of ours (external_ids `netlens-prefix`): where it is, how it is set, whether vswitchd opened it. */
export type ObservedTunnelPort = DesiredTunnelPort & { ofport: number | null };

export type ObservedRootLink = { name: string; up: boolean; mtu: number };

export type ObservedHost = {
  /** Only namespaces named like ours (prefix + kind + uuid). */
  namespaces: Map<string, ObservedNamespace>;
  /** Only OVS ports whose external_ids carry our prefix. */
  ovsPorts: ObservedOvsPort[];
  /** Our VXLAN ports. */
  tunnelPorts: ObservedTunnelPort[];
  /** Flows per managed bridge, normalised like DesiredFlows. */
  flows: Map<string, string[]>;
  /** veth ends in the root namespace, by name. */
  rootLinks: Map<string, ObservedRootLink>;
};
