// Nova's key pairs: each user's own SSH public keys, by name. Nobody sees another user's, admins included
// (as in Nova, where key pairs belong to a user, not to a project).
import { createHash } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { z } from "zod";
import type { keypairCreate } from "../../lib/schemas/keypair";
import { parseSshPublicKey } from "../../lib/ssh-key";
import type { Executor } from "../db/client";
import { type KeypairRow, keypairs, users } from "../db/schema";
import { badRequest, conflict, notFound, uniqueViolation } from "./errors";
import type { Actor, Tx } from "./tx";

function keypairView(row: KeypairRow) {
  return {
    name: row.name,
    type: "ssh",
    fingerprint: row.fingerprint,
    public_key: row.publicKey,
    created_at: row.createdAt.toISOString(),
  };
}
export type KeypairView = ReturnType<typeof keypairView>;

/** Nova's fingerprint: MD5 of the key blob, as colon-separated hex (what `ssh-keygen -l -E md5` prints). */
function fingerprintOf(blob: Uint8Array): string {
  return (createHash("md5").update(blob).digest("hex").match(/../g) ?? []).join(":");
}

async function userIdOf(ex: Executor, actor: Actor): Promise<string> {
  const [user] = await ex.select({ id: users.id }).from(users).where(eq(users.name, actor.user));
  if (!user) throw notFound(`User ${actor.user} not found`);
  return user.id;
}

/** The caller's key pair by name (Nova's KeypairNotFound wording). */
export async function findKeypair(ex: Executor, actor: Actor, name: string): Promise<KeypairRow> {
  const userId = await userIdOf(ex, actor);
  const [row] = await ex
    .select()
    .from(keypairs)
    .where(and(eq(keypairs.userId, userId), eq(keypairs.name, name)));
  if (!row) throw notFound(`Keypair ${name} not found for user ${actor.user}`);
  return row;
}

export async function listKeypairs(ex: Executor, actor: Actor): Promise<KeypairView[]> {
  const userId = await userIdOf(ex, actor);
  const rows = await ex
    .select()
    .from(keypairs)
    .where(eq(keypairs.userId, userId))
    .orderBy(asc(keypairs.name));
  return rows.map(keypairView);
}

export async function showKeypair(ex: Executor, actor: Actor, name: string): Promise<KeypairView> {
  return keypairView(await findKeypair(ex, actor, name));
}

export async function createKeypair(tx: Tx, input: z.infer<typeof keypairCreate>): Promise<KeypairView> {
  const key = parseSshPublicKey(input.public_key);
  if (typeof key === "string") throw badRequest(`Keypair data is invalid: ${key}`);
  const userId = await userIdOf(tx.db, tx.actor);
  const exists = await tx.db
    .select({ name: keypairs.name })
    .from(keypairs)
    .where(and(eq(keypairs.userId, userId), eq(keypairs.name, input.name)));
  if (exists.length > 0) throw conflict(`Key pair '${input.name}' already exists.`);
  try {
    const [row] = await tx.db
      .insert(keypairs)
      .values({
        userId,
        name: input.name,
        publicKey: input.public_key.trim(),
        fingerprint: fingerprintOf(key.blob),
      })
      .returning();
    if (!row) throw new Error("unreachable: an insert returns its row");
    return keypairView(row);
  } catch (error) {
    if (uniqueViolation(error)) throw conflict(`Key pair '${input.name}' already exists.`);
    throw error;
  }
}

export async function deleteKeypair(tx: Tx, name: string): Promise<void> {
  const row = await findKeypair(tx.db, tx.actor, name);
  await tx.db.delete(keypairs).where(and(eq(keypairs.userId, row.userId), eq(keypairs.name, row.name)));
}
