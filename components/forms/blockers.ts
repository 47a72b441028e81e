// What a delete (or remove, or release) would meet, worked out from the lists the dashboard already has, with the
// server's own rules (server/domain): the objects that make it certain to be refused, each with the step that
// clears it, and what goes along with it. A dialog that knows it will be refused says so before the click.
import { cidrContains } from "@/lib/ip";
import type { RouterOutputs } from "../trpc/types";

export type DeleteTarget =
  | {
      kind: "network" | "subnet" | "router" | "server" | "floatingIp" | "securityGroup" | "securityGroupRule";
      id: string;
      name: string;
      noun: string;
    }
  | { kind: "routerInterface"; id: string; subnetId: string; name: string; noun: string }
  | { kind: "portForwarding"; id: string; floatingIpId: string; name: string; noun: string };

/** One verb per action, the words of Horizon: interfaces are removed, floating IPs released, the rest deleted. */
export function actionVerb(kind: DeleteTarget["kind"]): "Delete" | "Remove" | "Release" {
  return kind === "routerInterface" ? "Remove" : kind === "floatingIp" ? "Release" : "Delete";
}

/** How an interface is named in its remove dialog: "10.0.0.1 (demo-subnet)". */
export const interfaceName = (address: string, subnet: { name: string; cidr: string } | undefined) =>
  subnet ? `${address} (${subnet.name || subnet.cidr})` : address;

/** The step that clears a blocker, as a button in the dialog offers it. */
export type Fix =
  | { type: "delete"; target: DeleteTarget }
  | { type: "disassociate"; id: string }
  | { type: "gateway"; routerId: string }
  | { type: "routes"; routerId: string };

export type Blocker = { what: string; fix: Fix | null };
export type Assessment = { blockers: Blocker[]; effects: string[] };

export type Lists = {
  ports: readonly RouterOutputs["port"]["list"][number][];
  subnets: readonly RouterOutputs["subnet"]["list"][number][];
  floatingIps: readonly RouterOutputs["floatingIp"]["list"][number][];
  routers: readonly RouterOutputs["router"]["list"][number][];
  servers: readonly RouterOutputs["server"]["list"][number][];
};

type Port = Lists["ports"][number];

/** A port that holds an address, named by what owns it, with the step that frees it. */
function portBlocker(p: Port, lists: Lists): Blocker {
  const addresses = p.fixed_ips.map((f) => f.ip_address).join(", ") || p.id.slice(0, 8);
  const router = lists.routers.find((r) => r.id === p.device_id);
  const routerName = router ? router.name || router.id : p.device_id.slice(0, 8);
  switch (p.device_owner) {
    case "compute:nova": {
      const server = lists.servers.find((s) => s.id === p.device_id);
      const name = server?.name ?? p.device_id.slice(0, 8);
      return {
        what: `instance ${name} (${addresses})`,
        fix: { type: "delete", target: { kind: "server", id: p.device_id, name, noun: "instance" } },
      };
    }
    case "network:router_interface": {
      const first = p.fixed_ips[0];
      return {
        what: `interface ${addresses} of router ${routerName}`,
        fix: first
          ? {
              type: "delete",
              target: {
                kind: "routerInterface",
                id: p.device_id,
                subnetId: first.subnet_id,
                name: interfaceName(
                  first.ip_address,
                  lists.subnets.find((s) => s.id === first.subnet_id),
                ),
                noun: "interface",
              },
            }
          : null,
      };
    }
    case "network:router_gateway":
      return {
        what: `gateway ${addresses} of router ${routerName}`,
        fix: { type: "gateway", routerId: p.device_id },
      };
    case "network:floatingip": {
      const fip = lists.floatingIps.find((f) => f.id === p.device_id);
      const address = fip?.floating_ip_address ?? addresses;
      return {
        what: `floating IP ${address}`,
        fix: fip
          ? { type: "delete", target: { kind: "floatingIp", id: fip.id, name: address, noun: "floating IP" } }
          : null,
      };
    }
    default:
      return { what: `port ${p.name || p.id.slice(0, 8)} (${addresses})`, fix: null };
  }
}

/** Who holds a fixed address: the instance's name when an instance's port has it. */
function holderOf(address: string | null, lists: Lists): string {
  if (address === null) return "";
  const port = lists.ports.find((p) => p.fixed_ips.some((f) => f.ip_address === address));
  const server = port ? lists.servers.find((s) => s.id === port.device_id) : undefined;
  return server ? `${address} (${server.name})` : address;
}

/** A network's DHCP port is the network's own: it goes with its subnets and never holds them (as in Neutron). */
const blocks = (p: Port) => p.device_owner !== "network:dhcp";

export function assess(target: DeleteTarget, lists: Lists): Assessment {
  switch (target.kind) {
    case "network":
      // The server refuses while any port is on the network; its subnets go with it.
      return {
        blockers: lists.ports
          .filter((p) => p.network_id === target.id && blocks(p))
          .map((p) => portBlocker(p, lists)),
        effects: lists.subnets
          .filter((s) => s.network_id === target.id)
          .map((s) => `subnet ${s.name || s.id.slice(0, 8)} ${s.cidr} is deleted with it`),
      };
    case "subnet":
      return {
        blockers: lists.ports
          .filter((p) => p.fixed_ips.some((f) => f.subnet_id === target.id) && blocks(p))
          .map((p) => portBlocker(p, lists)),
        effects: [],
      };
    case "router": {
      const r = lists.routers.find((x) => x.id === target.id);
      const ports = lists.ports.filter(
        (p) => p.device_id === target.id && p.device_owner === "network:router_interface",
      );
      return {
        blockers: ports.map((p) => portBlocker(p, lists)),
        effects: r?.external_gateway_info ? ["its gateway on the external network is cleared"] : [],
      };
    }
    case "routerInterface":
      return assessInterface(target.id, target.subnetId, lists);
    case "server": {
      const ports = new Set(
        lists.ports
          .filter((p) => p.device_owner === "compute:nova" && p.device_id === target.id)
          .map((p) => p.id),
      );
      return {
        blockers: [],
        effects: lists.floatingIps
          .filter((f) => f.port_id !== null && ports.has(f.port_id))
          .map((f) => `floating IP ${f.floating_ip_address} is disassociated (and kept)`),
      };
    }
    case "portForwarding":
      return { blockers: [], effects: [`${target.name} is no longer forwarded`] };
    // A group still on a port is refused by the API (SecurityGroupInUse), whose message the dialog shows: the
    // dashboard's lists do not say which ports use which group.
    case "securityGroup":
      return { blockers: [], effects: ["its rules are deleted with it"] };
    case "securityGroupRule":
      return { blockers: [], effects: ["the ports of its group no longer allow what it allowed"] };
    case "floatingIp": {
      const f = lists.floatingIps.find((x) => x.id === target.id);
      return {
        blockers: [],
        effects: f?.port_id
          ? [`${holderOf(f.fixed_ip_address, lists)} is no longer reachable at ${f.floating_ip_address}`]
          : [],
      };
    }
  }
}

/**
 * Removing one interface: refused while a floating IP of this router NATs an address of that subnet, or an extra
 * route's nexthop is reachable only through it. Only that subnet counts, not the router's other interfaces.
 */
function assessInterface(routerId: string, subnetId: string, lists: Lists): Assessment {
  const subnet = lists.subnets.find((s) => s.id === subnetId);
  const router = lists.routers.find((r) => r.id === routerId);
  if (!subnet || !router) return { blockers: [], effects: [] };
  const fips = lists.floatingIps.filter(
    (f) =>
      f.router_id === routerId &&
      f.fixed_ip_address !== null &&
      cidrContains(subnet.cidr, f.fixed_ip_address),
  );
  const others = router.interfaces
    .filter((i) => i.subnet_id !== subnetId)
    .flatMap((i) => lists.subnets.filter((s) => s.id === i.subnet_id).map((s) => s.cidr));
  const routes = router.routes.filter(
    (r) => cidrContains(subnet.cidr, r.nexthop) && !others.some((c) => cidrContains(c, r.nexthop)),
  );
  return {
    blockers: [
      ...fips.map(
        (f): Blocker => ({
          what: `floating IP ${f.floating_ip_address} → ${holderOf(f.fixed_ip_address, lists)}`,
          fix: { type: "disassociate", id: f.id },
        }),
      ),
      ...routes.map(
        (r): Blocker => ({
          what: `extra route ${r.destination} via ${r.nexthop}`,
          fix: { type: "routes", routerId },
        }),
      ),
    ],
    effects: [
      `instances on ${subnet.name || subnet.id.slice(0, 8)} ${subnet.cidr} lose their way through router ${router.name || router.id}`,
    ],
  };
}

/** The button that offers a fix: what it says. */
export function fixLabel(fix: Fix): string {
  switch (fix.type) {
    case "delete":
      return `${actionVerb(fix.target.kind)} ${fix.target.noun} ${fix.target.name} first`;
    case "disassociate":
      return "Disassociate";
    case "gateway":
      return "Clear the router's gateway";
    case "routes":
      return "Edit extra routes";
  }
}
