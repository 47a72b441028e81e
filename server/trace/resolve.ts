// What `--from` and `--to` name: an instance (name or ID), a floating IP, a fixed IP, a router (name, ID or one
// of its addresses), an address of the outside world behind an external network, or the metadata service
// (`metadata` or 169.254.169.254).
import { cidrContains, isIpv4 } from "../../lib/ip";
import { METADATA_ADDRESS } from "../../lib/router-nat";
import type { TraceEndpointView } from "../../lib/schemas/trace";
import type { InstanceRow } from "../db/schema";
import { badRequest, conflict, notFound } from "../domain/errors";
import { isUuid } from "../domain/refs";
import {
  type ModelFloatingIp,
  type ModelRouter,
  routersOnSubnet,
  type TraceModel,
  type Uplink,
} from "./facts";

export type Endpoint =
  | { kind: "instance"; address: string; instance: InstanceRow; subnet_id: string | null }
  | { kind: "floating_ip"; address: string; fip: ModelFloatingIp; instance: InstanceRow | null }
  /** `address` null: the router picks (its interface toward the other end, or its gateway address). */
  | { kind: "router"; address: string | null; router: ModelRouter }
  /** `uplink` null: decided once the other end is known (the external network its router leads to). */
  | { kind: "outside"; address: string; uplink: Uplink | null }
  /** 169.254.169.254: answered by the router of the other end's subnet, or by its DHCP namespace. */
  | { kind: "metadata"; address: string };

/** What `--to` names the metadata service by, besides its address. */
export const METADATA_NAME = "metadata";

export function resolveEndpoint(model: TraceModel, ref: string): Endpoint {
  const value = ref.trim();
  if (value === METADATA_NAME || value === METADATA_ADDRESS)
    return { kind: "metadata", address: METADATA_ADDRESS };
  if (isIpv4(value)) return byAddress(model, value);
  const byId = (id: string) => (isUuid(value) ? id === value : false);
  const instances = [...model.instances.values()].filter((i) => byId(i.id) || i.name === value);
  const routers = [...model.routers.values()].filter((r) => byId(r.row.id) || r.row.name === value);
  const fips = model.floatingIps.filter((f) => byId(f.id));
  const found = instances.length + routers.length + fips.length;
  if (found === 0) {
    throw notFound(`No instance, router, floating IP or address matches ${value}`);
  }
  if (found > 1) throw conflict(`${value} names more than one instance or router; use an ID`);
  const [instance] = instances;
  if (instance) return instanceEndpoint(model, instance);
  const [router] = routers;
  if (router) return { kind: "router", address: null, router };
  const [fip] = fips;
  if (fip) return fipEndpoint(model, fip);
  throw new Error("unreachable");
}

function instanceEndpoint(model: TraceModel, instance: InstanceRow): Endpoint {
  const port = model.ports.get(instance.portId);
  if (!port?.ip) throw badRequest(`Instance ${instance.name} has no fixed IP address`);
  return { kind: "instance", address: port.ip, instance, subnet_id: port.subnet_id };
}

function fipEndpoint(model: TraceModel, fip: ModelFloatingIp): Endpoint {
  const instance =
    fip.fixedPortId === null
      ? null
      : ([...model.instances.values()].find((i) => i.portId === fip.fixedPortId) ?? null);
  return { kind: "floating_ip", address: fip.floatingIpAddress, fip, instance };
}

function byAddress(model: TraceModel, address: string): Endpoint {
  const fip = model.floatingIps.find((f) => f.floatingIpAddress === address);
  if (fip) return fipEndpoint(model, fip);
  for (const port of model.ports.values()) {
    if (port.ip !== address) continue;
    if (port.owner === "network:floatingip") continue;
    const instance = [...model.instances.values()].find((i) => i.portId === port.id);
    if (instance) return instanceEndpoint(model, instance);
    const router = [...model.routers.values()].find(
      (r) => r.gateway?.id === port.id || r.interfaces.some((p) => p.id === port.id),
    );
    if (router) return { kind: "router", address, router };
    throw badRequest(`${address} belongs to port ${port.id}, which is neither an instance nor a router`);
  }
  for (const uplink of model.uplinks.values()) {
    if (uplink.address === address || cidrContains(uplink.cidr, address))
      return { kind: "outside", address, uplink };
  }
  for (const subnet of model.subnets.values()) {
    const network = model.networks.get(subnet.networkId);
    if (cidrContains(subnet.cidr, address) && !network?.routerExternal) {
      throw notFound(`No port holds ${address} on subnet ${subnet.name || subnet.id} (${subnet.cidr})`);
    }
  }
  return { kind: "outside", address, uplink: null };
}

/** The instance an endpoint stands for, when it stands for one. */
export function instanceOf(endpoint: Endpoint): InstanceRow | null {
  if (endpoint.kind === "instance") return endpoint.instance;
  if (endpoint.kind === "floating_ip") return endpoint.instance;
  return null;
}

/**
 * A floating IP that forwards ports: the instance behind the forwarding of the traced protocol and port (the
 * packet is DNATed there), when the floating IP itself is not associated with a port.
 */
export function forwardedTo(
  model: TraceModel,
  endpoint: Endpoint,
  protocol: string,
  port: number | undefined,
): Endpoint {
  if (endpoint.kind !== "floating_ip" || endpoint.instance !== null || port === undefined) return endpoint;
  const pf = model.portForwardings.find(
    (f) =>
      f.floatingIpId === endpoint.fip.id &&
      f.protocol === protocol &&
      port >= f.externalPortStart &&
      port <= f.externalPortEnd,
  );
  const instance = pf ? [...model.instances.values()].find((i) => i.portId === pf.internalPortId) : undefined;
  return instance ? { ...endpoint, instance } : endpoint;
}

/** The routers joined to an endpoint's subnet (an instance's or a floating IP's instance). */
export function routersOf(model: TraceModel, endpoint: Endpoint): ModelRouter[] {
  if (endpoint.kind === "router") return [endpoint.router];
  if (endpoint.kind === "floating_ip") {
    const router = endpoint.fip.routerId ? model.routers.get(endpoint.fip.routerId) : undefined;
    return router ? [router] : [];
  }
  const instance = instanceOf(endpoint);
  const port = instance ? model.ports.get(instance.portId) : undefined;
  return port?.subnet_id ? routersOnSubnet(model, port.subnet_id) : [];
}

/** Settles what depended on the other end: which outside world, which router address. */
export function settle(model: TraceModel, endpoint: Endpoint, other: Endpoint): Endpoint {
  if (endpoint.kind === "outside" && endpoint.uplink === null) {
    // An address beyond the external gateway: the outside world of the external network that the other
    // end's router leads to, else the only (first) one there is.
    const viaRouter = routersOf(model, other)
      .map((r) => (r.gateway ? model.uplinks.get(r.gateway.network_id) : undefined))
      .find((u) => u !== undefined);
    const uplink = viaRouter ?? [...model.uplinks.values()][0];
    if (!uplink)
      throw badRequest(`No external network has an outside world to reach ${endpoint.address} from`);
    return { ...endpoint, uplink };
  }
  if (endpoint.kind === "router" && endpoint.address === null) {
    // Toward an instance: the router's interface on its subnet; otherwise its gateway address.
    const instance = instanceOf(other);
    const port = instance ? model.ports.get(instance.portId) : undefined;
    const facing = endpoint.router.interfaces.find(
      (p) => p.subnet_id !== null && p.subnet_id === port?.subnet_id,
    );
    const address = facing?.ip ?? endpoint.router.gateway?.ip ?? endpoint.router.interfaces[0]?.ip ?? null;
    if (address === null)
      throw badRequest(`Router ${endpoint.router.row.name || endpoint.router.row.id} has no address`);
    return { ...endpoint, address };
  }
  return endpoint;
}

export function endpointView(endpoint: Endpoint): TraceEndpointView {
  switch (endpoint.kind) {
    case "instance":
      return {
        kind: "instance",
        id: endpoint.instance.id,
        name: endpoint.instance.name,
        address: endpoint.address,
      };
    case "floating_ip":
      return { kind: "floating_ip", id: endpoint.fip.id, name: endpoint.address, address: endpoint.address };
    case "router":
      return {
        kind: "router",
        id: endpoint.router.row.id,
        name: endpoint.router.row.name,
        address: endpoint.address ?? "",
      };
    case "outside":
      return {
        kind: "outside",
        id: endpoint.uplink?.network.id ?? "",
        name: endpoint.uplink?.network.name ?? "outside",
        address: endpoint.address,
      };
    case "metadata":
      return { kind: "metadata", id: "", name: METADATA_NAME, address: endpoint.address };
    default: {
      const unreachable: never = endpoint;
      throw new Error(`Unknown endpoint ${JSON.stringify(unreachable)}`);
    }
  }
}
