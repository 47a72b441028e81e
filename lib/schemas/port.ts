import { z } from "zod";
import { byRef, fixedIp, macAddress, name, printable, ref } from "./common";
import { portSecurityFields } from "./securityGroup";

const deviceOwners = [
  "compute:nova",
  "network:router_interface",
  "network:router_gateway",
  "network:floatingip",
  "network:dhcp",
  "",
] as const;

export const portCreate = z.object({
  name: name.default(""),
  network_id: ref,
  project_id: ref.optional(),
  fixed_ips: z.array(fixedIp).optional(),
  mac_address: macAddress.optional(),
  admin_state_up: z.boolean().default(true),
  ...portSecurityFields,
});

export const portUpdate = z.object({
  id: ref,
  name: name.optional(),
  fixed_ips: z.array(fixedIp).optional(),
  admin_state_up: z.boolean().optional(),
  ...portSecurityFields,
});

export const portShow = byRef;
export const portDelete = byRef;
export const portList = z
  .object({
    project_id: ref.optional(),
    network_id: ref.optional(),
    device_owner: z.enum(deviceOwners).optional(),
    device_id: printable(z.string().max(255), "A device ID").optional(),
  })
  .optional();
