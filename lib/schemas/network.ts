import { z } from "zod";
import { byRef, listFilter, name, physicalNetworkName, ref } from "./common";

export const networkTypes = ["flat", "vlan", "vxlan", "local"] as const;
export type NetworkType = (typeof networkTypes)[number];

/**
 * A network's MTU in bytes. Its bounds (68 to the network's maximum, which depends on its type, physical network
 * and the server's settings) are the domain's to check: one place, with Neutron's wording.
 */
const mtu = z.number().int("The MTU is a whole number of bytes").optional();

export const networkCreate = z.object({
  name,
  project_id: ref.optional(),
  shared: z.boolean().default(false),
  "router:external": z.boolean().default(false),
  "provider:network_type": z.enum(networkTypes).optional(),
  // The same shape the agent accepts, so that a bad name fails here, not on the host.
  "provider:physical_network": physicalNetworkName.optional(),
  "provider:segmentation_id": z.number().int().min(1).max(16777215).optional(),
  mtu,
  admin_state_up: z.boolean().default(true),
});

export const networkUpdate = z.object({
  id: ref,
  name: name.optional(),
  shared: z.boolean().optional(),
  "router:external": z.boolean().optional(),
  mtu,
  admin_state_up: z.boolean().optional(),
});

export const networkShow = byRef;
export const networkDelete = byRef;
export const networkList = listFilter;
