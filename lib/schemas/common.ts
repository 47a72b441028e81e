// Building blocks of the API's input schemas. Field names follow Neutron's API (snake_case).
import { z } from "zod";
import { isIpv4, parseCidr } from "../ip";

export const ipv4 = z
  .string()
  .trim()
  .refine(isIpv4, { error: (issue) => `Invalid IP address ${String(issue.input)}` });

/** Why a value is not a subnet CIDR (e.g. host bits set, with the CIDR meant), or undefined when it is one. */
function cidrProblem(value: string): string | undefined {
  try {
    parseCidr(value);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A CIDR field, with Neutron's wording: "Invalid input for cidr. Reason: ...". */
export const cidrField = (field: string) =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      const problem = cidrProblem(value);
      if (problem)
        ctx.addIssue({ code: "custom", message: `Invalid input for ${field}. Reason: ${problem}` });
    });

export const cidr = cidrField("cidr");

/**
 * A subnet's prefix length: a /0 subnet would hold every address, and no device can take it as its own
 * network. The agent holds addresses to the same bound (agent/contract/intent.ts).
 */
export const subnetPrefixLength = z.number().int().min(1).max(32);

export const subnetCidr = cidr.superRefine((value, ctx) => {
  if (value.trim().endsWith("/0"))
    ctx.addIssue({
      code: "custom",
      message: "Invalid input for cidr. Reason: a subnet's prefix length must be 1 to 32",
    });
});

/** Any unicast MAC, as Neutron accepts (the multicast bit clear, not all zeros), written in lowercase. */
export const macAddress = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, "Invalid MAC address")
  .refine((mac) => (Number.parseInt(mac.slice(0, 2), 16) & 1) === 0, "A MAC address must be unicast")
  .refine((mac) => mac !== "00:00:00:00:00:00", "A MAC address must not be all zeros");

/**
 * `schema` for text that people name things with, refusing (with `what` named in the message) control
 * characters (C0, DEL, C1: Unicode's Cc), escape sequences that would drive the terminal of whoever lists them,
 * and NUL, which PostgreSQL cannot store in text at all; and half a UTF-16 surrogate pair (JSON can carry one),
 * which is no character: UTF-8 has no bytes for it (PGlite fails on some, node-postgres stores U+FFFD instead).
 */
export const printable = <T extends z.ZodString>(schema: T, what: string): T =>
  schema
    .refine((value) => !/\p{Cc}/u.test(value), `${what} must not contain control characters`)
    .refine(
      (value) => !/\p{Cs}/u.test(value),
      `${what} must be valid Unicode (it holds half a surrogate pair)`,
    );

/** A resource named by its ID or by its name (the server resolves names within what the caller may see). */
export const ref = printable(z.string().trim().min(1, "A name or ID is required").max(255), "A name or ID");

export const name = printable(
  z
    .string()
    .trim()
    .max(255, "Name is longer than 255 characters")
    .regex(/^[^\s/][^/]*$|^$/, "Name must not contain '/' or start with a space"),
  "Name",
);

/** Free text beside a name (a description). */
export const description = printable(z.string().max(255), "Description");

export const byRef = z.object({ id: ref });

/** A physical network's name, as `--bridge-mapping physnet:bridge` and `provider:physical_network` give it. */
export const physicalNetworkName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, "A physical network name is 1-64 letters, digits, '_', '.' or '-'");

export const allocationPool = z.object({ start: ipv4, end: ipv4 });
export const hostRoute = z.object({ destination: cidrField("destination"), nexthop: ipv4 });
export const fixedIp = z
  .object({ subnet_id: ref.optional(), ip_address: ipv4.optional() })
  .refine((f) => f.subnet_id !== undefined || f.ip_address !== undefined, {
    error: "A fixed IP needs a subnet_id, an ip_address or both",
  });

export const listFilter = z.object({ project_id: ref.optional() }).optional();

export type FixedIpInput = z.infer<typeof fixedIp>;
