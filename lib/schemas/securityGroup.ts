// Security groups and their rules, with Neutron's field names and its rules on what a rule may say.
import { z } from "zod";
import { isIpv4 } from "../ip";
import { byRef, cidrField, description, ipv4, listFilter, macAddress, name, ref } from "./common";

export const directions = ["ingress", "egress"] as const;
export type Direction = (typeof directions)[number];

/** The protocols named in rules; a number 0-255 is any IP protocol, `any` (or none) matches every one. */
export const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17 } as const;
const PROTOCOL_NAMES = Object.keys(PROTOCOL_NUMBERS);

/** Protocol numbers whose rules take a port range (Neutron: TCP, UDP, UDPLITE, SCTP, DCCP). */
const PORTED = new Set([6, 17, 33, 132, 136]);

/** The protocol as stored: a name in lowercase, a number as decimal text, null for any. */
const protocol = z
  .union([z.string(), z.number()])
  .nullable()
  .transform((value, ctx) => {
    const text = value === null ? "any" : String(value).trim().toLowerCase();
    if (text === "any" || text === "") return null;
    if (PROTOCOL_NAMES.includes(text)) return text;
    if (/^(0|[1-9][0-9]{0,2})$/.test(text) && Number(text) <= 255) return text;
    ctx.addIssue({
      code: "custom",
      message: `Security group rule protocol ${text} not supported. Only protocol values [None, 'any', 'tcp', 'udp', 'icmp'] and integer representations [0 to 255] are supported.`,
    });
    return z.NEVER;
  });

/** The IP protocol number a stored protocol means, or null for any. */
export function protocolNumber(stored: string | null): number | null {
  if (stored === null) return null;
  const named = PROTOCOL_NUMBERS[stored as keyof typeof PROTOCOL_NUMBERS];
  return named ?? Number(stored);
}

/** A remote prefix: a CIDR, or an address meaning its /32 (as Neutron takes it). */
const remoteIpPrefix = z
  .string()
  .trim()
  .transform((value) => (isIpv4(value) ? `${value}/32` : value))
  .pipe(cidrField("remote_ip_prefix"));

const port = z.number().int();

export const securityGroupRuleCreate = z
  .object({
    security_group_id: ref,
    direction: z.enum(directions, { error: "direction must be ingress or egress" }),
    ethertype: z.literal("IPv4", { error: "Only ethertype IPv4 is supported" }).default("IPv4"),
    protocol: protocol.optional().transform((p) => p ?? null),
    port_range_min: port
      .nullable()
      .optional()
      .transform((p) => p ?? null),
    port_range_max: port
      .nullable()
      .optional()
      .transform((p) => p ?? null),
    remote_ip_prefix: remoteIpPrefix
      .nullable()
      .optional()
      .transform((p) => p ?? null),
    remote_group_id: ref
      .nullable()
      .optional()
      .transform((p) => p ?? null),
    description: description.default(""),
  })
  .superRefine((rule, ctx) => {
    const problem = rangeProblem(protocolNumber(rule.protocol), rule.port_range_min, rule.port_range_max);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["port_range_min"] });
    if (rule.remote_ip_prefix !== null && rule.remote_group_id !== null)
      ctx.addIssue({
        code: "custom",
        message: "Only remote_ip_prefix or remote_group_id may be provided.",
        path: ["remote_group_id"],
      });
  });

/** Neutron's checks of a rule's port range against its protocol; undefined when the range is fine. */
function rangeProblem(protocol: number | null, min: number | null, max: number | null): string | undefined {
  if (min === null && max === null) return undefined;
  if (protocol === null) return "Must also specify protocol if port range is given.";
  if (protocol === PROTOCOL_NUMBERS.icmp) {
    for (const [value, attr, field] of [
      [min, "port_range_min", "type"],
      [max, "port_range_max", "code"],
    ] as const) {
      if (value !== null && (value < 0 || value > 255))
        return `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`;
    }
    if (min === null && max !== null)
      return `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`;
    return undefined;
  }
  if (!PORTED.has(protocol))
    return `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`;
  for (const value of [min, max]) {
    if (value !== null && (value < 1 || value > 65535)) return `Invalid value for port ${value}`;
  }
  if (min === null || max === null || min > max)
    return "For TCP/UDP protocols, port_range_min must be <= port_range_max";
  return undefined;
}

export const securityGroupCreate = z.object({
  name: name.default(""),
  description: description.default(""),
  project_id: ref.optional(),
  /** Stateless groups (no connection tracking: replies need rules of their own) are not enforced here. */
  stateful: z
    .literal(true, { error: "Stateless security groups are not supported: the firewall tracks connections" })
    .default(true),
});

export const securityGroupUpdate = z.object({
  id: ref,
  name: name.optional(),
  description: description.optional(),
});

export const securityGroupShow = byRef;
export const securityGroupDelete = byRef;
export const securityGroupList = listFilter;

export const securityGroupRuleShow = byRef;
export const securityGroupRuleDelete = byRef;
export const securityGroupRuleList = z
  .object({
    security_group_id: ref.optional(),
    project_id: ref.optional(),
    direction: z.enum(directions).optional(),
  })
  .optional();

/** An address a port may also send from (a VIP): an address or a CIDR, and the MAC (the port's own if absent). */
export const allowedAddressPair = z.object({
  ip_address: z.union([ipv4, cidrField("ip_address")], {
    error: (issue) =>
      `Invalid input for ip_address. Reason: '${String(issue.input)}' is neither an IP address nor a CIDR`,
  }),
  mac_address: macAddress.optional(),
});

/** The port fields of Neutron's security-group, port-security and allowed-address-pairs extensions. */
export const portSecurityFields = {
  security_groups: z.array(ref).optional(),
  port_security_enabled: z.boolean().optional(),
  allowed_address_pairs: z.array(allowedAddressPair).optional(),
};
export type PortSecurityInput = {
  security_groups?: string[];
  port_security_enabled?: boolean;
  allowed_address_pairs?: z.infer<typeof allowedAddressPair>[];
};

/** Nova's server add/remove security group. */
export const serverSecurityGroup = z.object({ id: ref, security_group: ref });
