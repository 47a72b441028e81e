// Inputs of Keystone's v3 API as OpenStack clients send them (server/rest/identity.ts): a token request by
// password or by an earlier token, scoped to a project of the one domain netlens has, Keystone's `Default`.
import { z } from "zod";
import { login } from "./auth";
import { ref } from "./common";

/** `{"id": "default"}` or `{"name": "Default"}` (either case): netlens's users and projects are all in it. */
const domain = z
  .strictObject({ id: z.string().optional(), name: z.string().optional() })
  .refine((d) => [d.id, d.name].every((v) => v === undefined || v.toLowerCase() === "default"), {
    error: "netlens has only the Default domain (id default)",
  });

const passwordUser = z
  .object({
    id: ref.optional(),
    name: login.shape.username.optional(),
    password: login.shape.password,
    domain: domain.optional(),
  })
  .refine((u) => u.id !== undefined || u.name !== undefined, { error: "A user needs a name or an id" });

/** Only project scope: a domain or system scope is refused by name (strict), not silently widened. */
const scope = z.strictObject({
  project: z
    .object({ id: ref.optional(), name: ref.optional(), domain: domain.optional() })
    .refine((p) => p.id !== undefined || p.name !== undefined, { error: "A project needs a name or an id" }),
});

export const keystoneAuth = z.object({
  auth: z.object({
    identity: z
      .object({
        methods: z.array(z.enum(["password", "token"])).length(1, "Give one authentication method"),
        password: z.object({ user: passwordUser }).optional(),
        token: z.object({ id: z.string().trim().min(1).max(1024) }).optional(),
      })
      .refine((i) => i.methods[0] !== "password" || i.password !== undefined, {
        error: "Expecting to find password in identity",
      })
      .refine((i) => i.methods[0] !== "token" || i.token !== undefined, {
        error: "Expecting to find token in identity",
      }),
    scope: scope.optional(),
  }),
});
