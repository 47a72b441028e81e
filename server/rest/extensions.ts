// The Neutron API extensions netlens implements, and only those: clients decide what to send (and what to
// offer their user) by this list, so an extension listed but not served would fail them later and worse.
const UPDATED = "2020-01-01T00:00:00-00:00";

const extension = (alias: string, name: string, description: string) => ({
  alias,
  name,
  description,
  updated: UPDATED,
  links: [],
});

export const EXTENSIONS = [
  extension(
    "router",
    "Neutron L3 Router",
    "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
  ),
  extension(
    "external-net",
    "Neutron external network",
    "Adds external network attribute to network resource.",
  ),
  extension(
    "ext-gw-mode",
    "Neutron L3 Configurable external gateway mode",
    "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway",
  ),
  extension("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
  extension("l3-ha", "HA Router extension", "Adds HA capability to routers."),
  extension(
    "extraroute-atomic",
    "Atomically add/remove extra routes",
    "Edit extra routes of a router on server side by atomically adding/removing extra routes",
  ),
  extension(
    "floating-ip-port-forwarding",
    "Floating IP Port Forwarding",
    "Extension of floating IP: forwards a port of a floating IP to a port of an internal Neutron port.",
  ),
  extension("security-group", "security-group", "The security groups extension."),
  extension("port-security", "Port Security", "Provides port security"),
  extension("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
  extension("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
  extension("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
  extension(
    "net-mtu-writable",
    "Network MTU (writable)",
    "Provides a writable MTU attribute for a network resource.",
  ),
  extension(
    "project-id",
    "project_id field enabled",
    "Extension that indicates that project_id field is enabled.",
  ),
  extension(
    "standard-attr-timestamp",
    "Resource timestamps",
    "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
  ),
];
