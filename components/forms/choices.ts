// What a picker offers, with the server's rules applied ahead (server/domain): a choice bound to be refused
// stays in the list, disabled, with the reason beside it, rather than failing after the click.
import { cidrsOverlap } from "@/lib/ip";
import type { RouterOutputs } from "../trpc/types";
import type { Lists } from "./blockers";

export type Choice = { id: string; label: string; reason: string | null };
type Network = RouterOutputs["network"]["list"][number];
type Subnet = Lists["subnets"][number];

const subnetName = (s: Subnet) => `${s.name || s.id.slice(0, 8)} ${s.cidr}`;

/** The subnets a router can take an interface on: the tenant networks' subnets, each checked as the API would. */
export function interfaceChoices(
  lists: Pick<Lists, "subnets" | "routers">,
  networks: readonly Network[],
  routerId: string,
): Choice[] {
  const router = lists.routers.find((r) => r.id === routerId);
  const attachedIds = new Set([
    ...(router?.interfaces ?? []).map((i) => i.subnet_id),
    ...(router?.external_gateway_info?.external_fixed_ips ?? []).map((f) => f.subnet_id),
  ]);
  const attached = lists.subnets.filter((s) => attachedIds.has(s.id));
  const networkName = new Map(networks.map((n) => [n.id, n.name || n.id]));
  const internal = new Set(networks.filter((n) => !n["router:external"]).map((n) => n.id));
  return lists.subnets
    .filter((s) => internal.has(s.network_id))
    .map((s) => {
      const overlapping = attached.find((a) => a.id !== s.id && cidrsOverlap(a.cidr, s.cidr));
      const reason = attachedIds.has(s.id)
        ? "already an interface of this router"
        : overlapping
          ? `overlaps ${subnetName(overlapping)} on this router`
          : s.gateway_ip === null
            ? "has no gateway IP"
            : null;
      return {
        id: s.id,
        label: `${networkName.get(s.network_id) ?? s.network_id}: ${subnetName(s)} (gw ${s.gateway_ip ?? "none"})`,
        reason,
      };
    });
}

/**
 * Instance ports a floating IP of `externalNetworkId` can go to, named after their instance: refused when the port
 * already has a floating IP there, or when no router joins its subnet to that network.
 */
export function portChoices(lists: Lists, externalNetworkId: string, exceptFloatingIpId?: string): Choice[] {
  const serverName = new Map(lists.servers.map((s) => [s.id, s.name]));
  const routed = (subnetId: string) =>
    lists.routers.some(
      (r) =>
        r.external_gateway_info?.network_id === externalNetworkId &&
        r.interfaces.some((i) => i.subnet_id === subnetId),
    );
  return lists.ports
    .filter((p) => p.device_owner === "compute:nova")
    .map((p) => {
      const first = p.fixed_ips[0];
      const held = lists.floatingIps.find(
        (f) =>
          f.id !== exceptFloatingIpId &&
          f.port_id === p.id &&
          f.floating_network_id === externalNetworkId &&
          (first === undefined || f.fixed_ip_address === first.ip_address),
      );
      const subnet = first ? lists.subnets.find((s) => s.id === first.subnet_id) : undefined;
      const reason = held
        ? `already has floating IP ${held.floating_ip_address}`
        : first === undefined
          ? "has no fixed IP"
          : !routed(first.subnet_id)
            ? `no router joins ${subnet ? subnetName(subnet) : "its subnet"} to this external network`
            : null;
      return {
        id: p.id,
        label: `${serverName.get(p.device_id) ?? (p.name || p.id)} — ${p.fixed_ips.map((f) => f.ip_address).join(", ")}`,
        reason,
      };
    });
}
