// What the pickers offer: every end a trace can start or stop at, searchable by name or address.
import type { Topology } from "../topology/model";

export type EndpointOption = {
  kind: "instance" | "floating_ip" | "router" | "outside";
  /** What goes into trace.run: an address when there is one, else the name. */
  value: string;
  label: string;
  detail: string;
};

export function endpointOptions(topology: Topology | undefined): EndpointOption[] {
  if (!topology) return [];
  const out: EndpointOption[] = [];
  const names = new Map(topology.networks.map((n) => [n.id, n.name]));
  for (const n of topology.networks) {
    if (!n.external) continue;
    for (const s of n.subnets) {
      if (s.gateway_ip)
        out.push({
          kind: "outside",
          value: s.gateway_ip,
          label: s.gateway_ip,
          detail: `outside: gateway of ${n.name} (${s.cidr})`,
        });
    }
  }
  for (const f of topology.floatingIps) {
    const instance = topology.instances.find((i) => i.port.port_id === f.port_id);
    out.push({
      kind: "floating_ip",
      value: f.floating_ip_address,
      label: f.floating_ip_address,
      detail: instance
        ? `floating IP of ${instance.name} (${f.fixed_ip_address})`
        : "floating IP (unassociated)",
    });
  }
  for (const i of topology.instances) {
    out.push({
      kind: "instance",
      value: i.name,
      label: i.name,
      detail: `instance ${i.port.ip_address ?? ""} on ${names.get(i.port.network_id) ?? i.port.network_id}`,
    });
  }
  for (const r of topology.routers) {
    out.push({
      kind: "router",
      value: r.name,
      label: r.name,
      detail: `router${r.gateway?.ip_address ? ` (gateway ${r.gateway.ip_address})` : ""}`,
    });
  }
  return out;
}

export function searchEndpoints(
  options: readonly EndpointOption[],
  query: string,
  limit = 8,
): EndpointOption[] {
  const q = query.trim().toLowerCase();
  if (q === "") return options.slice(0, limit);
  return options
    .filter((o) => `${o.label} ${o.detail}`.toLowerCase().includes(q))
    .sort(
      (a, b) => Number(!a.label.toLowerCase().startsWith(q)) - Number(!b.label.toLowerCase().startsWith(q)),
    )
    .slice(0, limit);
}
