// The desired state of one host ("intent") as the server compiles it and the agent validates it, and what the
// agent answers about itself and about an apply. Part of the agent's contract: zod and lib/ only, so that the
// server can `import type` it without depending on the daemon.
import { z } from "zod";
import { cidr, ipv4, macAddress, physicalNetworkName, subnetPrefixLength } from "../../lib/schemas/common";

const uuid = z.uuid();
const mac = macAddress;
const prefixlen = subnetPrefixLength;
const route = z.object({ destination: cidr, nexthop: ipv4 });

export const intentNetwork = z.object({
  id: uuid,
  network_type: z.enum(["flat", "vlan", "vxlan", "local"]),
  physical_network: physicalNetworkName.nullable(),
  segmentation_id: z.number().int().min(1).max(16777215).nullable(),
  mtu: z.number().int().min(68).max(9000),
});

/** An address on a port: the port's only fixed IP, with its subnet's prefix length. */
const portAddress = {
  port_id: uuid,
  network_id: uuid,
  mac_address: mac,
  ip_address: ipv4,
  prefixlen,
};

export const intentRouterGateway = z.object({
  ...portAddress,
  /** The external subnet's gateway: the router's default route. Null: no default route. */
  gateway_ip: ipv4.nullable(),
  enable_snat: z.boolean(),
});

export const intentFloatingIp = z.object({
  id: uuid,
  floating_ip_address: ipv4,
  fixed_ip_address: ipv4,
});

const portNumber = z.number().int().min(1).max(65535);

/** A port forwarding of a floating IP that forwards ports through this router (Neutron's fip-pf chain). */
export const intentPortForwarding = z.object({
  id: uuid,
  floatingip_id: uuid,
  floating_ip_address: ipv4,
  protocol: z.enum(["tcp", "udp"]),
  internal_ip_address: ipv4,
  internal_port_start: portNumber,
  internal_port_end: portNumber,
  external_port_start: portNumber,
  external_port_end: portNumber,
});

/**
 * What makes a router highly available (Neutron's L3 HA): its namespace on two or more network nodes, keepalived
 * in each running VRRP over the project's HA network through the `ha-` device of this node's own HA port. All
 * start as BACKUP without preemption; the one that becomes MASTER holds the router's addresses and routes, which
 * keepalived adds (and announces with gratuitous ARPs) and removes: the standby holds none.
 */
export const intentRouterHa = z.object({
  /** The VRRP virtual router id, unique among the project's HA routers (they share its HA network). */
  vr_id: z.number().int().min(1).max(255),
  /** This node's port on the HA network (169.254.192.0/18): its own, never a VIP. */
  ha_port: z.object(portAddress),
  /** VRRP priority; equal on every node (Neutron's), so that no node takes the router back (nopreempt). */
  priority: z.number().int().min(1).max(254).optional(),
  /** Seconds between adverts (Neutron's ha_vrrp_advert_int, 2); VRRPv3 takes hundredths of a second. */
  advert_int: z.number().min(0.01).max(40.95).multipleOf(0.01).optional(),
});

export const intentRouter = z.object({
  id: uuid,
  gateway: intentRouterGateway.nullable(),
  interfaces: z.array(z.object(portAddress)),
  routes: z.array(route),
  floating_ips: z.array(intentFloatingIp),
  port_forwardings: z.array(intentPortForwarding),
  /** Absent: a legacy router, its addresses set by the agent on this one host. */
  ha: intentRouterHa.optional(),
});

/** A lab instance: namespace `<prefix>qprobe-<port id>` holding one veth (eth0) on br-int. */
export const intentInstance = z.object({
  id: uuid,
  ...portAddress,
  /** The subnet's gateway_ip: the instance's default route, as DHCP would hand it out. */
  gateway_ip: ipv4.nullable(),
  host_routes: z.array(route),
  mtu: z.number().int().min(68).max(9000),
  /**
   * Its subnet has DHCP and this host serves it: eth0 takes its address and routes by DHCP, as a VM's would
   * (they are the ones above, which the network's DHCP server hands out for its MAC). Absent: set directly.
   */
  dhcp: z.boolean().optional(),
});

/**
 * A port that a workload plugged by someone else (a VM's tap from libvirt/os-vif, a container's veth) may be bound
 * to on this host: an interface on the integration bridge with `external_ids:iface-id=<port_id>` is wired to its
 * network, as Neutron's OVS agent does. Not the ports the agent wires itself (routers', lab probes').
 */
export const intentPort = z.object({
  port_id: uuid,
  network_id: uuid,
  mac_address: mac,
  /** false: plugged, it stays on the dead VLAN and the port DOWN (Neutron's admin_state_up). */
  admin_state_up: z.boolean(),
});

/**
 * One security group rule as the server compiled it (Neutron's fields, IPv4 only): `protocol` is the
 * IP protocol number (null: any); the port range is TCP/UDP/SCTP ports, or for ICMP the type (min) and code
 * (max). `remote_ip_prefixes`: the addresses the other end may have, null for any; a rule naming a remote group
 * carries the addresses of that group's members that the server knows (none: the rule matches nothing).
 */
export const intentFirewallRule = z.object({
  direction: z.enum(["ingress", "egress"]),
  protocol: z.number().int().min(0).max(255).nullable(),
  port_range_min: z.number().int().min(0).max(65535).nullable(),
  port_range_max: z.number().int().min(0).max(65535).nullable(),
  remote_ip_prefixes: z.array(cidr).max(65_536).nullable(),
});

/**
 * A security group of the ports this host filters, with its rules, once for all its ports (as Neutron's server
 * hands its agents `security_groups` beside the devices that name them): a rule added to a group of 1,000 ports
 * travels and applies once.
 */
export const intentSecurityGroup = z.object({
  id: uuid,
  rules: z.array(intentFirewallRule).max(10_000),
});

/**
 * A port the host filters, as Neutron's `openvswitch` firewall driver does (lab probes and bound workload ports;
 * never the network service's own ports): it may send only from its MAC and fixed IPs and its allowed address
 * pairs, and only what the rules of its security groups (`security_groups`, ids of the intent's) allow passes
 * (stateful: replies pass). A group the intent lacks allows nothing. `port_security_enabled` false: neither
 * filter nor anti-spoofing.
 */
export const intentFirewallPort = z.object({
  port_id: uuid,
  network_id: uuid,
  mac_address: mac,
  fixed_ips: z.array(ipv4).max(64),
  allowed_address_pairs: z.array(z.object({ ip_address: cidr, mac_address: mac })).max(1024),
  port_security_enabled: z.boolean(),
  security_groups: z.array(uuid).max(1024),
});

/** A port bound (or pinned by binding:host_id) to another host: an interface here naming it is not bound. */
export const intentPortElsewhere = z.object({
  port_id: uuid,
  host: z.string().min(1).max(255),
});

/** A simulated outside world for labs: a namespace on the physical bridge holding `address` (e.g. 203.0.113.1/24). */
export const intentUplink = z.object({
  network_id: uuid,
  physical_network: physicalNetworkName,
  segmentation_id: z.number().int().min(1).max(4094).nullable(),
  address: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/),
});

/** A subnet the network's DHCP server hands out: what its clients are told besides their address. */
export const intentDhcpSubnet = z.object({
  id: uuid,
  cidr,
  /** The router option (3) and the default route in option 121; null: neither. */
  gateway_ip: ipv4.nullable(),
  dns_nameservers: z.array(ipv4).max(32),
  /** The subnet's, and on an isolated subnet the route to 169.254.169.254/32 via the DHCP port's address. */
  host_routes: z.array(route).max(257),
});

/** A port of the network that DHCP answers: its MAC gets its fixed IP and a hostname (a DNS label). */
export const intentDhcpHost = z.object({
  mac_address: mac,
  ip_address: ipv4,
  hostname: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "A hostname: one DNS label"),
});

/**
 * The DHCP server of one network (Neutron's DHCP agent layout): namespace `<prefix>qdhcp-<network id>` holding
 * the network's `network:dhcp` port (its addresses on every DHCP subnet), and dnsmasq answering there.
 */
export const intentDhcp = z.object({
  network_id: uuid,
  port_id: uuid,
  mac_address: mac,
  /** The DHCP port's fixed IPs, one per subnet served. */
  addresses: z.array(z.object({ subnet_id: uuid, ip_address: ipv4, prefixlen })).min(1),
  subnets: z.array(intentDhcpSubnet).min(1),
  hosts: z.array(intentDhcpHost),
  mtu: z.number().int().min(68).max(9000),
  /** Seconds (Neutron's dhcp_lease_duration). */
  lease_duration: z.number().int().min(120).max(31_536_000),
  /**
   * The network has an isolated subnet (no router interface holds its gateway): the namespace serves metadata at
   * 169.254.169.254:80 itself, as with Neutron's enable_isolated_metadata. Absent: it does not.
   */
  metadata: z.boolean().optional(),
});

/**
 * A VXLAN network as it reaches the other hosts (Neutron's OVS agent with l2population): br-tun carries it with
 * `segmentation_id` as VNI only towards the hosts that have ports on it, and knows which MAC is behind which
 * tunnel, so that unicast goes to one host and floods to those only.
 */
export const intentTunnelNetwork = z.object({
  network_id: uuid,
  /** The VNI. */
  segmentation_id: z.number().int().min(1).max(16777215),
  /** The tunnel addresses (their `local_ip`) of the other hosts with ports on this network. */
  remote_ips: z.array(ipv4).max(10_000),
  /** The network's ports on other hosts: their MAC (and address, for an ARP responder) behind that host's tunnel. */
  remote_ports: z.array(z.object({ mac_address: mac, ip_address: ipv4, remote_ip: ipv4 })).max(100_000),
});

export const hostIntent = z.object({
  revision: z.number().int().min(1),
  networks: z.array(intentNetwork),
  routers: z.array(intentRouter),
  instances: z.array(intentInstance),
  uplinks: z.array(intentUplink),
  /** DHCP servers; absent: none (an intent of a server that knows no DHCP). */
  dhcp: z.array(intentDhcp).optional(),
  /** Absent: none (an intent of a server that binds no workloads). */
  ports: z.array(intentPort).optional(),
  ports_elsewhere: z.array(intentPortElsewhere).optional(),
  /** The ports this host filters; absent: an intent of a server that enforces no security groups. */
  firewall: z.array(intentFirewallPort).optional(),
  /** The security groups of the ports in `firewall`; absent: none. */
  security_groups: z.array(intentSecurityGroup).optional(),
  /** The VXLAN networks this host has ports on, towards the other hosts; absent: none (one host). */
  tunnels: z.array(intentTunnelNetwork).optional(),
  /**
   * What this push may put back although its part of the intent did not change since the last apply (a hand
   * change: drift). Absent or "all": the whole host converges, as an intent alone always did. A list of resource
   * ids (router, instance, external network): only those, plus every resource whose part changed; the others'
   * drift is left for the server to show until someone asks for a repair.
   */
  repair: z.union([z.literal("all"), z.array(z.string().max(64)).max(100_000)]).optional(),
});

/**
 * What must hold for an intent to be taken at all. Its resources are then checked one by one: a bad one is
 * reported against its id and left as the host has it, and the others apply.
 */
export const intentEnvelope = hostIntent.extend({
  networks: z.array(z.unknown()),
  routers: z.array(z.unknown()),
  instances: z.array(z.unknown()),
  uplinks: z.array(z.unknown()),
  dhcp: z.array(z.unknown()).optional(),
  ports: z.array(z.unknown()).optional(),
  ports_elsewhere: z.array(z.unknown()).optional(),
  firewall: z.array(z.unknown()).optional(),
  security_groups: z.array(z.unknown()).optional(),
  tunnels: z.array(z.unknown()).optional(),
});

export type HostIntent = z.infer<typeof hostIntent>;
/** What `applyIntent` takes: any HostIntent, its resources checked one by one. */
export type IntentEnvelope = z.infer<typeof intentEnvelope>;
export type IntentNetwork = z.infer<typeof intentNetwork>;
export type IntentRouter = z.infer<typeof intentRouter>;
export type IntentRouterGateway = z.infer<typeof intentRouterGateway>;
export type IntentRouterHa = z.infer<typeof intentRouterHa>;
export type IntentFloatingIp = z.infer<typeof intentFloatingIp>;
export type IntentPortForwarding = z.infer<typeof intentPortForwarding>;
export type IntentInstance = z.infer<typeof intentInstance>;
export type IntentUplink = z.infer<typeof intentUplink>;
export type IntentDhcp = z.infer<typeof intentDhcp>;
export type IntentDhcpSubnet = z.infer<typeof intentDhcpSubnet>;
export type IntentPort = z.infer<typeof intentPort>;
export type IntentPortElsewhere = z.infer<typeof intentPortElsewhere>;
export type IntentFirewallPort = z.infer<typeof intentFirewallPort>;
export type IntentFirewallRule = z.infer<typeof intentFirewallRule>;
export type IntentSecurityGroup = z.infer<typeof intentSecurityGroup>;
export type IntentTunnelNetwork = z.infer<typeof intentTunnelNetwork>;

/** What the agent answers to `apply`. Errors name the resource (router, instance, floating IP or network id; a
 * DHCP server's errors name its network). */
export type ApplyResult = {
  revision: number;
  /** Number of changes made on the host; 0 for a re-apply of an unchanged intent. */
  changes: number;
  duration_ms: number;
  errors: { resource_id: string; message: string }[];
  /** Actions not run because their resource's intent did not change and no repair was asked for it. */
  held?: number;
  /** Where the time went: reading the host, planning, running commands, the post-apply self-check. */
  timings?: { observe_ms: number; plan_ms: number; execute_ms: number; verify_ms: number };
};

/** What the agent tells about itself (`info`): the server checks bridge mappings before accepting a gateway. */
export type AgentInfo = {
  host: string;
  prefix: string;
  /** The prefix of its nat chains (`<p>-PREROUTING`, ...): the server writes the rules it expects with it. */
  chain_prefix?: string;
  integration_bridge: string;
  bridge_mappings: Record<string, string>;
  /** What the host is for; both on a one-host install. */
  roles?: ("compute" | "network")[];
  /** Its VXLAN tunnel endpoint (Neutron's `local_ip`); null: it has no tunnels. */
  local_ip?: string | null;
  applied_revision: number;
  version: string;
};
