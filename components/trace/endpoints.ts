// What the pickers offer: every end a trace can start or stop at, searchable by name or address, and where it
// sits on the graph (so that a click on the graph picks it, and the picked ends are marked there).
import type { Topology } from "../topology/model";

export type EndpointOption = {
  kind: "instance" | "floating_ip" | "router" | "outside" | "metadata";
  /** What goes into trace.run: an address when there is one, else the name (the id when the name is shared). */
  value: string;
  label: string;
  detail: string;
  /**
   * The graph node it is drawn on: the instance, the router, the external network; a floating IP's instance;
   * none for the metadata service (who answers it depends on the instance).
   */
  nodeId: string | null;
};

export function endpointOptions(topology: Topology | undefined): EndpointOption[] {
  if (!topology) return [];
  const out: EndpointOption[] = [];
  const names = new Map(topology.networks.map((n) => [n.id, n.name]));
  // trace.run looks a name up among instances and routers: a shared one would name more than one.
  const uses = new Map<string, number>();
  for (const { name } of [...topology.instances, ...topology.routers])
    uses.set(name, (uses.get(name) ?? 0) + 1);
  const ref = (thing: { id: string; name: string }) =>
    thing.name !== "" && uses.get(thing.name) === 1 ? thing.name : thing.id;
  for (const n of topology.networks) {
    if (!n.external) continue;
    for (const s of n.subnets) {
      if (s.gateway_ip)
        out.push({
          kind: "outside",
          value: s.gateway_ip,
          label: s.gateway_ip,
          detail: `outside: gateway of ${n.name} (${s.cidr})`,
          nodeId: n.id,
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
      nodeId: instance?.id ?? f.router_id,
    });
  }
  for (const i of topology.instances) {
    out.push({
      kind: "instance",
      value: ref(i),
      label: i.name || i.id,
      detail: `instance ${i.port.ip_address ?? ""} on ${names.get(i.port.network_id) ?? i.port.network_id}`,
      nodeId: i.id,
    });
  }
  for (const r of topology.routers) {
    out.push({
      kind: "router",
      value: ref(r),
      label: r.name || r.id,
      detail: `router${r.gateway?.ip_address ? ` (gateway ${r.gateway.ip_address})` : ""}`,
      nodeId: r.id,
    });
  }
  // A destination for an instance: trace.run takes it as tcp/80 to 169.254.169.254.
  if (topology.instances.length > 0)
    out.push({
      kind: "metadata",
      value: "metadata",
      label: "metadata",
      detail: "the metadata service (169.254.169.254, tcp/80), as an instance reads it",
      nodeId: null,
    });
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

/**
 * What a click on the graph picks: the floating IP whose badge was clicked, else the node's own end (an
 * instance, a router, an external network's outside world). A tenant network is no end: null.
 */
export function endpointAt(
  options: readonly EndpointOption[],
  nodeId: string,
  floatingIp: string | null,
): EndpointOption | null {
  if (floatingIp !== null) {
    const fip = options.find((o) => o.kind === "floating_ip" && o.value === floatingIp);
    if (fip) return fip;
  }
  return options.find((o) => o.nodeId === nodeId && o.kind !== "floating_ip") ?? null;
}

/** The graph node a picker's value stands for (a name, an id or an address the topology knows), if any. */
export function nodeOf(options: readonly EndpointOption[], value: string): string | null {
  const v = value.trim();
  if (v === "") return null;
  const option = options.find((o) => o.value === v) ?? options.find((o) => o.label === v || o.nodeId === v);
  return option?.nodeId ?? null;
}
