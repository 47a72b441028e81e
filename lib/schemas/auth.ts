// Inputs of accounts, sessions, API tokens and role assignments (auth, token, user, role routers).
import { z } from "zod";
import { printable, ref } from "./common";

export const roles = ["admin", "member"] as const;
export type Role = (typeof roles)[number];

/** Keystone's rules for names, simplified: no spaces or slashes, so that they work unquoted in a shell. */
const userName = z
  .string()
  .trim()
  .min(1, "A user needs a name")
  .max(64, "User names are at most 64 characters")
  .regex(/^[A-Za-z0-9_.@-]+$/, "User names are letters, digits, '_', '.', '@' or '-'");

const password = z
  .string()
  .min(8, "Passwords are at least 8 characters")
  .max(1024, "Passwords are at most 1024 characters");

export const login = z.object({
  username: printable(z.string().trim().min(1, "Enter a user name").max(64), "A user name"),
  // Not `password`: a login must not tell which rule an existing password breaks.
  password: z.string().min(1, "Enter a password").max(1024),
  /** The project to work in (name or ID); default: the user's first. */
  project: ref.optional(),
});
export const logout = z.object({}).optional();
export const whoami = z.object({}).optional();

export const tokenIssue = z.object({
  name: printable(z.string().trim().max(255), "A token name").default(""),
});
export const tokenList = z.object({ all: z.boolean().default(false) }).optional();
/** A token is revoked by its ID or by its value (`netlens token revoke TOKEN`, as openstack does). */
export const tokenRevoke = z.object({ id: z.string().trim().min(1, "A token or token ID is required") });

export const userCreate = z
  .object({
    name: userName,
    password,
    project: ref.optional(),
    role: z.enum(roles).optional(),
  })
  .refine((u) => (u.project === undefined) === (u.role === undefined), {
    error: "Give both project and role, or neither",
    path: ["role"],
  });
export const userList = z.object({}).optional();
export const userDelete = z.object({ id: ref });
export const userSetPassword = z.object({ id: ref, password });

export const roleAssign = z.object({ user: ref, project: ref, role: z.enum(roles) });
export const roleUnassign = z.object({ user: ref, project: ref });
export const roleList = z.object({ user: ref.optional(), project: ref.optional() }).optional();
