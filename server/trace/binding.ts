// port-not-bound: an end of the trace that is a workload's port (its fixed IP, its ID or name, or a floating IP
// associated with it) that no agent has bound: nothing is plugged into an integration bridge with its iface-id,
// so no packet reaches it or leaves it, whatever the routers and NAT rules say. PURE.
import { isIpv4 } from "../../lib/ip";
import type { Diagnosis, TraceEndpointView } from "../../lib/schemas/trace";
import type { ModelPort, TraceModel } from "./facts";

/** The workload's port an end names, if it names one: not a router's, a floating IP's, DHCP's or a probe's. */
export function workloadPort(model: TraceModel, ref: string): { port: ModelPort; via: string | null } | null {
  const value = ref.trim();
  const probes = new Set([...model.instances.values()].map((i) => i.portId));
  const workload = (port: ModelPort | undefined) =>
    port !== undefined && !port.owner.startsWith("network:") && !probes.has(port.id) ? port : null;
  const fip = model.floatingIps.find((f) => f.floatingIpAddress === value || f.id === value);
  if (fip) {
    const port = workload(fip.fixedPortId === null ? undefined : model.ports.get(fip.fixedPortId));
    return port ? { port, via: fip.floatingIpAddress } : null;
  }
  if ([...model.instances.values()].some((i) => i.name === value)) return null;
  for (const candidate of model.ports.values()) {
    const named = isIpv4(value) ? candidate.ip === value : candidate.id === value || candidate.name === value;
    const port = named ? workload(candidate) : null;
    if (port) return { port, via: null };
  }
  return null;
}

/** The trace's view of an end that is a workload's port. */
export function portEndView(found: { port: ModelPort; via: string | null }): TraceEndpointView {
  const { port, via } = found;
  return { kind: "port", id: port.id, name: port.name || port.id, address: via ?? port.ip ?? "" };
}

/** Why nothing reaches such an end, when its port is bound on no host. */
export function unboundDiagnosis(found: { port: ModelPort; via: string | null }): Diagnosis | null {
  const { port, via } = found;
  if (port.bound) return null;
  const label = port.name || port.id;
  const where =
    port.host_id === ""
      ? "no host has an interface plugged with its iface-id"
      : `it is meant for host ${port.host_id} (binding:host_id), where nothing is plugged with its iface-id`;
  return {
    code: "port-not-bound",
    hop: null,
    message: `Port ${label}${port.ip ? ` (${port.ip})` : ""}${via ? `, behind floating IP ${via},` : ""} is not bound on any host: ${where}, so it is DOWN and no packet reaches it or leaves it.`,
    fix: `Plug the VM's tap or the container's veth into the host's integration bridge with the port's id, as Nova and os-vif do: ovs-vsctl add-port BRIDGE TAP -- set Interface TAP external_ids:iface-id=${port.id} external_ids:attached-mac=${port.mac_address}. If it is plugged, netlens host inspect HOST --section bindings says why it was not bound (another host holds it, admin state down, plugged twice).`,
  };
}
