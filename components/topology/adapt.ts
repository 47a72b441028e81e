// The API's list outputs -> the graph's Topology. The only file of the graph that knows the API's shapes.
import type { RouterOutputs } from "../trpc/types";
import type { TopoBinding, TopoDhcpPort, Topology, TopoPort } from "./model";

export type ApiLists = {
  networks: RouterOutputs["network"]["list"];
  subnets: RouterOutputs["subnet"]["list"];
  ports: RouterOutputs["port"]["list"];
  routers: RouterOutputs["router"]["list"];
  floatingIps: RouterOutputs["floatingIp"]["list"];
  servers: RouterOutputs["server"]["list"];
};

type Port = ApiLists["ports"][number];

function topoPort(p: Port): TopoPort {
  const first = p.fixed_ips[0];
  return {
    port_id: p.id,
    network_id: p.network_id,
    subnet_id: first?.subnet_id ?? null,
    ip_address: first?.ip_address ?? null,
    status: p.status,
  };
}

const bindingOf = (p: Port): TopoBinding => ({
  host: p["binding:host_id"],
  bound: p["binding:vif_type"] === "ovs",
});

function dhcpPort(p: Port): TopoDhcpPort {
  return {
    port_id: p.id,
    ip_addresses: p.fixed_ips.map((f) => f.ip_address),
    status: p.status,
    binding: bindingOf(p),
  };
}

export function toTopology(api: ApiLists): Topology {
  const subnetsByNetwork = new Map<string, ApiLists["subnets"]>();
  for (const s of api.subnets)
    subnetsByNetwork.set(s.network_id, [...(subnetsByNetwork.get(s.network_id) ?? []), s]);
  const portsById = new Map(api.ports.map((p) => [p.id, p]));
  // Neutron links a port to what uses it by (device_owner, device_id); so do we.
  const portOf = new Map<string, Port>();
  const dhcpOf = new Map<string, TopoDhcpPort>();
  for (const p of api.ports) {
    if (p.device_owner === "network:router_gateway") {
      portOf.set(`${p.device_owner}/${p.device_id}`, p);
    }
    if (p.device_owner === "network:dhcp") dhcpOf.set(p.network_id, dhcpPort(p));
  }

  return {
    networks: api.networks.map((n) => ({
      id: n.id,
      name: n.name,
      project_id: n.project_id,
      status: n.status,
      admin_state_up: n.admin_state_up,
      external: n["router:external"],
      shared: n.shared,
      network_type: n["provider:network_type"],
      physical_network: n["provider:physical_network"],
      segmentation_id: n["provider:segmentation_id"],
      subnets: (subnetsByNetwork.get(n.id) ?? []).map((s) => ({
        id: s.id,
        name: s.name,
        cidr: s.cidr,
        gateway_ip: s.gateway_ip,
      })),
      dhcp: dhcpOf.get(n.id),
    })),
    routers: api.routers.map((r) => {
      const gw = portOf.get(`network:router_gateway/${r.id}`);
      const info = r.external_gateway_info;
      return {
        id: r.id,
        name: r.name,
        project_id: r.project_id,
        status: r.status,
        admin_state_up: r.admin_state_up,
        host: r.host,
        status_message: r.status_message,
        gateway:
          info === null
            ? null
            : {
                ...(gw
                  ? topoPort(gw)
                  : {
                      port_id: `gw-${r.id}`,
                      network_id: info.network_id,
                      subnet_id: info.external_fixed_ips[0]?.subnet_id ?? null,
                      ip_address: info.external_fixed_ips[0]?.ip_address ?? null,
                      status: r.status,
                    }),
                enable_snat: info.enable_snat,
              },
        interfaces: r.interfaces.map((i) => {
          const port = portsById.get(i.port_id);
          return {
            port_id: i.port_id,
            network_id: port?.network_id ?? "",
            subnet_id: i.subnet_id,
            ip_address: i.ip_address,
            status: port?.status ?? r.status,
          };
        }),
        routes: r.routes,
      };
    }),
    instances: api.servers.flatMap((s) => {
      const port = portsById.get(s.port_id);
      if (!port) return [];
      const binding = bindingOf(port);
      return [
        { id: s.id, name: s.name, project_id: s.project_id, status: s.status, port: topoPort(port), binding },
      ];
    }),
    floatingIps: api.floatingIps.map((f) => ({
      id: f.id,
      floating_ip_address: f.floating_ip_address,
      fixed_ip_address: f.fixed_ip_address,
      port_id: f.port_id,
      router_id: f.router_id,
      floating_network_id: f.floating_network_id,
      project_id: f.project_id,
      status: f.status,
    })),
  };
}
