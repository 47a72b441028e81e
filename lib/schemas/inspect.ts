// Inputs of host inspection and drift. Host and namespace names reach no command line (the server
// only looks them up in what the agent reported), but they are still held to the shapes the agent makes.
import { z } from "zod";
import { ipv4 } from "./common";

/** A host as its agent names itself (`hostname`, or `--host`). */
const hostName = z
  .string()
  .trim()
  .min(1, "A host name is required")
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "Invalid host name");

/** The sections `netlens host inspect --section` selects. */
export const inspectSectionKinds = ["ovs", "addr", "routes", "nat", "dhcp", "conntrack", "bindings"] as const;
export type InspectSectionKind = (typeof inspectSectionKinds)[number];

export const inspectSnapshot = z.object({
  host: hostName,
  section: z.enum(inspectSectionKinds).optional(),
  /** One namespace of ours, e.g. qrouter-<router id> (with the agent's prefix). */
  namespace: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,80}$/, "Invalid namespace name")
    .optional(),
  /** Only the tracked connections with this address in either direction (`conntrack -L` filtered). */
  address: ipv4.optional(),
});

/** Every host, or one. */
export const inspectStream = z.object({ host: hostName.optional() }).optional();

export const driftList = z.object({ host: hostName.optional() }).optional();

/**
 * What to repair: one drifted resource (a router, floating IP, instance or network: ID, or a floating IP's
 * address), or everything that drifted.
 */
export const driftRepair = z.union([
  z.object({ id: z.string().trim().min(1, "A resource ID is required").max(255) }),
  z.object({ all: z.literal(true) }),
]);

/** Opt-in: repair drift as soon as it is seen, instead of showing it and waiting for an admin. */
export const driftSettings = z.object({ auto_repair: z.boolean() });
