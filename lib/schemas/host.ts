import { z } from "zod";
import { hostName, type hostRole } from "../names";

/** What a host is for, as its agent reports it (Neutron's agent types: L3 + DHCP on network nodes). */
export type HostRole = z.infer<typeof hostRole>;

/** Wait until the host agents applied `revision` (default: every change made so far). */
export const hostWait = z.object({
  revision: z.number().int().min(0).optional(),
  timeout_ms: z.number().int().min(0).max(300_000).default(30_000),
});
export const hostList = z.object({}).optional();

/** A host asked for by name (`--host`): held to the shape agents name themselves with. */
export const scheduledHost = hostName;
