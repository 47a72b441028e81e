import { z } from "zod";
import { description, ipv4, listFilter, ref } from "./common";

export const floatingIpCreate = z.object({
  floating_network_id: ref,
  project_id: ref.optional(),
  subnet_id: ref.optional(),
  floating_ip_address: ipv4.optional(),
  port_id: ref.optional(),
  fixed_ip_address: ipv4.optional(),
  description: description.default(""),
});

/** Associate (port_id set) or disassociate (port_id null), as Neutron's PUT /floatingips/{id}. */
export const floatingIpUpdate = z.object({
  id: ref,
  port_id: ref.nullable(),
  fixed_ip_address: ipv4.optional(),
});

/** A floating IP is named by its ID or its address. */
export const floatingIpShow = z.object({ id: ref });
export const floatingIpDelete = floatingIpShow;
export const floatingIpList = listFilter;
