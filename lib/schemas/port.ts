import { z } from "zod";
import { byRef, fixedIp, macAddress, name, printable, ref } from "./common";
import { portSecurityFields } from "./securityGroup";

/**
 * Neutron's device_owner: free text ("compute:nova", "compute:az1", "baremetal:none", a container runtime's own),
 * but the `network:` owners name ports the network service makes and wires itself (router interfaces and
 * gateways, floating IPs, DHCP): a port given one by hand would look like a router's with no router behind it.
 */
const deviceOwner = printable(
  z.string().trim().max(255, "A device owner is longer than 255 characters"),
  "A device owner",
).superRefine((owner, ctx) => {
  if (owner.startsWith("network:"))
    ctx.addIssue({
      code: "custom",
      message: `Device owner ${owner} is reserved for ports that the network service creates and owns`,
    });
});

const deviceId = printable(
  z.string().trim().max(255, "A device ID is longer than 255 characters"),
  "A device ID",
);

/** binding:host_id: a host as its agent names itself ("" unsets it). */
const hostId = z
  .string()
  .trim()
  .max(255, "A host name is longer than 255 characters")
  .regex(/^$|^[A-Za-z0-9][A-Za-z0-9._-]*$/, "A host name holds only letters, digits, '.', '_' and '-'");

/** What the owner of a port may say about where it runs: set on create and update, "" unsets (`port unset`). */
const binding = {
  device_owner: deviceOwner.optional(),
  device_id: deviceId.optional(),
  "binding:host_id": hostId.optional(),
};

export const portCreate = z.object({
  name: name.default(""),
  network_id: ref,
  project_id: ref.optional(),
  fixed_ips: z.array(fixedIp).optional(),
  mac_address: macAddress.optional(),
  admin_state_up: z.boolean().default(true),
  ...binding,
  ...portSecurityFields,
});

export const portUpdate = z.object({
  id: ref,
  name: name.optional(),
  fixed_ips: z.array(fixedIp).optional(),
  admin_state_up: z.boolean().optional(),
  ...binding,
  ...portSecurityFields,
});

export const portShow = byRef;
export const portDelete = byRef;
export const portList = z
  .object({
    project_id: ref.optional(),
    network_id: ref.optional(),
    device_owner: printable(z.string().max(255), "A device owner").optional(),
    device_id: printable(z.string().max(255), "A device ID").optional(),
  })
  .optional();
