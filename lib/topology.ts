// The topology as the graph draws it, and as the API's topology.get answers it: plain, typed data shared by the
// server (server/domain/topology.ts builds it) and the graph (components/topology), so neither knows the other.

export type Subnet = { id: string; name: string; cidr: string; gateway_ip: string | null };

export type TopoNetwork = {
  id: string;
  name: string;
  project_id: string;
  status: string;
  admin_state_up: boolean;
  external: boolean;
  shared: boolean;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  subnets: Subnet[];
  /** Its DHCP port (device_owner network:dhcp), where its DHCP server answers from. Absent: none, or not known. */
  dhcp?: TopoDhcpPort;
};

/**
 * Where a port is bound (binding:host_id; "" where the viewer may not see hosts) and whether an agent has it wired
 * there (binding:vif_type "ovs").
 */
export type TopoBinding = { host: string; bound: boolean };

/** A network's DHCP port: an address on each subnet with DHCP, on the host whose dnsmasq serves them. */
export type TopoDhcpPort = { port_id: string; ip_addresses: string[]; status: string; binding: TopoBinding };

/** A port with its first address: one edge of the graph. */
export type TopoPort = {
  port_id: string;
  network_id: string;
  subnet_id: string | null;
  ip_address: string | null;
  status: string;
};

export type TopoRouter = {
  id: string;
  name: string;
  project_id: string;
  status: string;
  admin_state_up: boolean;
  /** The gateway port on an external network, or null when no gateway is set. */
  gateway: (TopoPort & { enable_snat: boolean }) | null;
  interfaces: TopoPort[];
  routes: { destination: string; nexthop: string }[];
  /**
   * The network node its namespace lives on. null: none yet, or hidden from the viewer (hosts are for admins);
   * absent: not known (generated topologies).
   */
  host?: string | null;
  /** Why it is not ACTIVE (a member reads the agent's words only for a router waiting for a network node). */
  status_message?: string | null;
  /** Neutron's L3 HA: on two network nodes, one active. Absent: not known (generated topologies). */
  ha?: boolean;
  /** An HA router's nodes and what each is for it (admins only: null for others, and for a legacy router). */
  ha_state?: TopoHaState[] | null;
};

/** What a network node is for an HA router; "unknown" while its agent is gone. */
export type TopoHaState = { host: string; ha_state: "active" | "standby" | "fault" | "unknown" };

export type TopoInstance = {
  id: string;
  name: string;
  project_id: string;
  status: string;
  port: TopoPort;
  /** Where its port is bound. Absent: not known (generated topologies). */
  binding?: TopoBinding;
  /** The compute host it was scheduled to. null: not yet, or hidden from the viewer; absent: not known. */
  host?: string | null;
};

export type TopoFloatingIp = {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  router_id: string | null;
  floating_network_id: string;
  project_id: string;
  status: string;
};

export type Topology = {
  networks: TopoNetwork[];
  routers: TopoRouter[];
  instances: TopoInstance[];
  floatingIps: TopoFloatingIp[];
};
