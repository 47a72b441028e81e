// "server" as in `openstack server`: here a lab instance, a namespace with one port (see DESIGN.md §3).
import { z } from "zod";
import { byRef, ipv4, listFilter, name, ref } from "./common";

export const serverCreate = z.object({
  name: name.min(1, "A server needs a name"),
  project_id: ref.optional(),
  network_id: ref,
  fixed_ip_address: ipv4.optional(),
});

export const serverFloatingIp = z.object({ id: ref, floating_ip_address: ipv4 });

export const serverShow = byRef;
export const serverDelete = byRef;
export const serverList = listFilter;
