import { z } from "zod";
import { allocationPool, byRef, hostRoute, ipv4, name, ref, subnetCidr } from "./common";

/** gateway_ip: an address, or null for "no gateway" (the CLI's `--gateway none`); omitted = the first host. */
const gatewayIp = ipv4.nullable();

export const subnetCreate = z.object({
  name,
  network_id: ref,
  project_id: ref.optional(),
  ip_version: z.literal(4).default(4),
  cidr: subnetCidr,
  gateway_ip: gatewayIp.optional(),
  allocation_pools: z.array(allocationPool).optional(),
  enable_dhcp: z.boolean().default(true),
  dns_nameservers: z.array(ipv4).default([]),
  host_routes: z.array(hostRoute).default([]),
});

export const subnetUpdate = z.object({
  id: ref,
  name: name.optional(),
  gateway_ip: gatewayIp.optional(),
  allocation_pools: z.array(allocationPool).optional(),
  enable_dhcp: z.boolean().optional(),
  dns_nameservers: z.array(ipv4).optional(),
  host_routes: z.array(hostRoute).optional(),
});

export const subnetShow = byRef;
export const subnetDelete = byRef;
export const subnetList = z.object({ project_id: ref.optional(), network_id: ref.optional() }).optional();
