import { z } from "zod";
import { byRef, fixedIp, hostRoute, listFilter, name, ref } from "./common";
import { scheduledHost } from "./host";

export const externalGatewayInfo = z.object({
  network_id: ref,
  enable_snat: z.boolean().default(true),
  external_fixed_ips: z.array(fixedIp).max(1, "Only one external fixed IP per router").optional(),
});

/** Neutron names a router's extra routes {destination, nexthop}, like a subnet's host routes. */
const routerRoute = hostRoute;

export const routerCreate = z.object({
  name,
  project_id: ref.optional(),
  admin_state_up: z.boolean().default(true),
  external_gateway_info: externalGatewayInfo.optional(),
  /** The network node to put it on (admins); default: the live one with the fewest routers. */
  host: scheduledHost.optional(),
  /** Neutron's L3 HA (admins): on two network nodes, VRRP choosing which one holds its addresses. */
  ha: z.boolean().default(false),
});

export const routerUpdate = z.object({
  id: ref,
  name: name.optional(),
  admin_state_up: z.boolean().optional(),
  /** null clears the gateway. */
  external_gateway_info: externalGatewayInfo.nullable().optional(),
  /** Replaces the whole list, as Neutron's PUT does. */
  routes: z.array(routerRoute).optional(),
  /** Moves it to this network node (admins), as `openstack network agent add router` does. */
  host: scheduledHost.optional(),
  /** Makes it HA or legacy (admins); as in Neutron, only while it is administratively down. */
  ha: z.boolean().optional(),
});

/** add_router_interface / remove_router_interface: exactly one of subnet_id or port_id. */
export const routerInterface = z
  .object({ id: ref, subnet_id: ref.optional(), port_id: ref.optional() })
  .refine((i) => (i.subnet_id === undefined) !== (i.port_id === undefined), {
    error: "Give either subnet_id or port_id, not both and not neither",
  });

export const routerShow = byRef;
export const routerDelete = byRef;
export const routerList = listFilter;
