// Input of the audit log's list (admins): `netlens audit list`, the Audit page.
import { z } from "zod";
import { ref } from "./common";

const AGO = /^(\d{1,6})([smhdw])$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * A point in time: ISO 8601 (`2025-05-01`, `2025-05-01T10:00:00Z`, with an offset) or a span ago (`30m`, `2h`,
 * `7d`), counted on the server's clock.
 */
const instant = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const ago = AGO.exec(text);
    if (ago) {
      const [, n, unit] = ago;
      return new Date(Date.now() - Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS]);
    }
    const iso = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).safeParse(text);
    if (!iso.success) {
      ctx.addIssue({
        code: "custom",
        message: `Invalid time ${text}: give ISO 8601 (2025-05-01T10:00:00Z) or a span ago (30m, 2h, 7d)`,
      });
      return z.NEVER;
    }
    return new Date(iso.data);
  });

export const auditList = z
  .object({
    /** A user's name or ID. */
    user: ref.optional(),
    /** A resource's ID or name. */
    resource: ref.optional(),
    /** A kind of resource: network, subnet, port, router, floating_ip, server, project, user, token, ... */
    kind: z
      .string()
      .trim()
      .regex(/^[a-z_]{1,32}$/, "A kind is a word like network or floating_ip")
      .optional(),
    since: instant.optional(),
    until: instant.optional(),
    /** Newest first; at most this many. */
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .optional();
