// no-dhcp-lease: an end of the trace that takes its address by DHCP and cannot get it: a workload's port (a VM
// boots and asks) or a lab probe on a DHCP subnet. In the order a DHCP request meets them: DHCP disabled on the
// subnet, the port bound nowhere (its requests reach no DHCP server), no dnsmasq running in the network's
// qdhcp namespace, no host entry for the port's MAC (dnsmasq hands out static leases only). PURE.
import type { TraceDaemon } from "../../agent/contract/trace";
import type { Diagnosis } from "../../lib/schemas/trace";
import type { ModelPort, TraceModel } from "./facts";

/** The network's DHCP server as the host runs it: its namespace and daemons (null: not asked). */
export type DhcpFacts = { namespace: string; daemons: TraceDaemon[] | null };

const name = (row: { name: string; id: string }) => row.name || row.id;

/**
 * Why `port` gets no lease, or null when nothing stands in its way. `bound`: plugged where an agent wired it (a
 * lab probe always is: the agent plugs it itself).
 */
export function leaseDiagnosis(
  model: TraceModel,
  end: { port: ModelPort; bound: boolean },
  dhcp: DhcpFacts | null,
  hop: string | null,
): Diagnosis | null {
  const { port } = end;
  const subnet = port.subnet_id ? model.subnets.get(port.subnet_id) : undefined;
  if (subnet === undefined) return null;
  const label = `Port ${port.name || port.id} (${port.mac_address})`;
  const network = model.networks.get(port.network_id);
  const networkName = network ? name(network) : port.network_id;
  const diagnosis = (message: string, fix: string): Diagnosis => ({
    code: "no-dhcp-lease",
    hop,
    message,
    fix,
  });
  if (!subnet.enableDhcp)
    return diagnosis(
      `DHCP is disabled on subnet ${name(subnet)}: ${label} gets no lease, so a VM that asks for one has no address ${port.ip ?? ""} and no routes.`,
      `netlens subnet set ${name(subnet)} --dhcp, or configure the address in the guest (config drive, cloud-init network config).`,
    );
  if (!end.bound)
    return diagnosis(
      `${label} is not bound: its DHCP requests are dropped on the integration bridge's dead VLAN and never reach network ${networkName}'s DHCP server.`,
      "Plug it with its iface-id (see port-not-bound); its next DHCP request is answered.",
    );
  const dnsmasq = dhcp?.daemons?.find((d) => d.program === "dnsmasq");
  if (dhcp === null || (dhcp.daemons !== null && dnsmasq?.running !== true))
    return diagnosis(
      `No DHCP server runs for network ${networkName}${dhcp === null ? " on this host" : `: dnsmasq is not running in ${dhcp.namespace}`}, so nothing answers ${label}'s requests.`,
      `netlens drift repair ${networkName} (the agent starts dnsmasq again; its log in the DHCP directory says why it stopped).`,
    );
  if (dnsmasq !== undefined && dnsmasq.hosts !== null && !dnsmasq.hosts.includes(`${port.mac_address},`))
    return diagnosis(
      `dnsmasq in ${dhcp.namespace} has no host entry for ${label}: it hands out static leases only, so it ignores the port's requests.`,
      `netlens drift repair ${networkName} (the agent rewrites the hosts file and reloads dnsmasq).`,
    );
  return null;
}
