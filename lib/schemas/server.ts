// "server" as in `openstack server`: here a lab instance, a namespace with one port (see DESIGN.md §3).
import { z } from "zod";
import { byRef, ipv4, listFilter, name, ref } from "./common";
import { scheduledHost } from "./host";

/** Nova's limit on user data, decoded. */
export const USER_DATA_MAX_BYTES = 65535;

/** base64, as Nova takes it (the CLI encodes the file it reads). */
const userData = z
  .string()
  .regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, "User data must be base64 encoded")
  .refine(
    (value) => Math.floor((value.replace(/[\s=]/g, "").length * 3) / 4) <= USER_DATA_MAX_BYTES,
    `User data is larger than ${USER_DATA_MAX_BYTES} bytes`,
  );

export const serverCreate = z.object({
  name: name.min(1, "A server needs a name"),
  project_id: ref.optional(),
  network_id: ref,
  fixed_ip_address: ipv4.optional(),
  user_data: userData.optional(),
  /** One of the caller's key pairs: its public key is handed to the instance by the metadata service. */
  key_name: ref.optional(),
  /** The compute host to start it on (admins, Nova's `--host`); default: the live one with the fewest. */
  host: scheduledHost.optional(),
});

export const serverFloatingIp = z.object({ id: ref, floating_ip_address: ipv4 });

export const serverShow = byRef;
export const serverDelete = byRef;
export const serverList = listFilter;
