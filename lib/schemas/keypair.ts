// Nova's key pairs (`openstack keypair create/list/show/delete`): a user's SSH public keys by name.
import { z } from "zod";
import { parseSshPublicKey } from "../ssh-key";
import { byRef, printable } from "./common";

// Nova's rule: letters, digits, spaces, '-', '_', '.', '@'; at most 255.
const keypairName = printable(
  z.string().trim().min(1, "A key pair needs a name").max(255),
  "Key pair name",
).refine(
  (value) => /^[\w\-. @]+$/.test(value),
  "Key pair name may contain only letters, digits, spaces and - _ . @",
);

export const keypairCreate = z.object({
  name: keypairName,
  public_key: z
    .string()
    .max(16384, "The public key is longer than 16 KB")
    .superRefine((value, ctx) => {
      const key = parseSshPublicKey(value);
      if (typeof key === "string")
        ctx.addIssue({ code: "custom", message: `Keypair data is invalid: ${key}` });
    }),
});

export const keypairShow = byRef;
export const keypairDelete = byRef;
