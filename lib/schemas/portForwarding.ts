// Port forwardings on a floating IP, with Neutron's field names: one schema per input, shared by the tRPC API,
// the REST API, the CLI and the forms.
import { z } from "zod";
import { description, ipv4, ref } from "./common";

export const forwardedProtocols = ["tcp", "udp"] as const;

/** A TCP/UDP port, given as a number (JSON) or as text (a form, a flag). */
const portNumber = (field: string) =>
  z.union([z.number(), z.string().trim()]).transform((value, ctx) => {
    const text = String(value);
    const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (port >= 1 && port <= 65535) return port;
    ctx.addIssue({
      code: "custom",
      message: `Invalid input for ${field}. Reason: '${text}' is not a port 1-65535.`,
    });
    return z.NEVER;
  });

/** Neutron's "N:M" (or "N") port range as {start, end}; undefined when it is not one (1 <= N <= M <= 65535). */
export function parsePortRange(text: string): { start: number; end: number } | undefined {
  const match = /^([0-9]{1,5})(?::([0-9]{1,5}))?$/.exec(text.trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  return start >= 1 && end <= 65535 && start <= end ? { start, end } : undefined;
}

/** A range, written back as "N:M" (what Neutron shows), so that what the schema gives is what it takes. */
const portRange = (field: string) =>
  z.string().transform((text, ctx) => {
    const range = parsePortRange(text);
    if (range) return `${range.start}:${range.end}`;
    ctx.addIssue({
      code: "custom",
      message: `Invalid input for ${field}. Reason: '${text}' is not a port range N:M with 1 <= N <= M <= 65535.`,
    });
    return z.NEVER;
  });

const protocol = z.enum(forwardedProtocols, { error: "protocol must be tcp or udp" });

/** Neutron's rule on the two ranges: the internal one is one port or as long as the external one. */
export const rangesFit = (
  internal: { start: number; end: number },
  external: { start: number; end: number },
) => internal.start === internal.end || internal.end - internal.start === external.end - external.start;

/** Which ports are forwarded: single ports or ranges, as `{start, end}` once parsed. */
type Ports = {
  internal_port?: number | undefined;
  external_port?: number | undefined;
  internal_port_range?: string | undefined;
  external_port_range?: string | undefined;
};

/**
 * Neutron's rules on the two forms: a single port or a range on each side, not both; the internal range is
 * one port or as long as the external one.
 */
function checkPorts(value: Ports, ctx: z.RefinementCtx, required: boolean) {
  const single = value.internal_port !== undefined || value.external_port !== undefined;
  const ranged = value.internal_port_range !== undefined || value.external_port_range !== undefined;
  if (single && ranged) {
    ctx.addIssue({
      code: "custom",
      path: ["external_port_range"],
      message:
        "Give internal_port and external_port, or internal_port_range and external_port_range, not both.",
    });
    return;
  }
  if (required && !ranged) {
    for (const field of ["internal_port", "external_port"] as const) {
      if (value[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `${field} is required (1-65535).` });
    }
    return;
  }
  if (!ranged) return;
  const internal =
    value.internal_port_range === undefined ? undefined : parsePortRange(value.internal_port_range);
  const external =
    value.external_port_range === undefined ? undefined : parsePortRange(value.external_port_range);
  // An update may change one side alone: the server checks the result against the other.
  if (required && (internal === undefined || external === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [internal === undefined ? "internal_port_range" : "external_port_range"],
      message: "internal_port_range and external_port_range go together.",
    });
    return;
  }
  if (internal !== undefined && external !== undefined && !rangesFit(internal, external))
    ctx.addIssue({
      code: "custom",
      path: ["internal_port_range"],
      message: "The internal port range must be one port or as long as the external port range.",
    });
}

const ports = {
  internal_port: portNumber("internal_port").optional(),
  external_port: portNumber("external_port").optional(),
  internal_port_range: portRange("internal_port_range").optional(),
  external_port_range: portRange("external_port_range").optional(),
};

export const portForwardingCreate = z
  .object({
    /** The floating IP, by ID or address. */
    floatingip_id: ref,
    internal_port_id: ref,
    internal_ip_address: ipv4,
    protocol,
    description: description.default(""),
    ...ports,
  })
  .superRefine((value, ctx) => checkPorts(value, ctx, true));

/** Neutron's PUT: any of the fields; what is left out stays. */
export const portForwardingUpdate = z
  .object({
    floatingip_id: ref,
    id: ref,
    internal_port_id: ref.optional(),
    internal_ip_address: ipv4.optional(),
    protocol: protocol.optional(),
    description: description.optional(),
    ...ports,
  })
  .superRefine((value, ctx) => checkPorts(value, ctx, false));

export const portForwardingList = z.object({ floatingip_id: ref });
export const portForwardingShow = z.object({ floatingip_id: ref, id: ref });
export const portForwardingDelete = portForwardingShow;

export type PortForwardingCreate = z.infer<typeof portForwardingCreate>;
export type PortForwardingUpdate = z.infer<typeof portForwardingUpdate>;
