// Checking a password at login, and keeping its stored hash at today's cost.
import { and, eq } from "drizzle-orm";
import type { Executor } from "../db/client";
import { type UserRow, users } from "../db/schema";
import { userByName } from "./access";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "./password";

/**
 * The user whose name and password these are, or null. Unknown users cost the same scrypt as known ones, so
 * timing does not tell which names exist. A hash made with older parameters is replaced by one made with
 * today's, which only a login can do (only then is the password at hand).
 */
export async function checkPassword(
  ex: Executor,
  username: string,
  password: string,
): Promise<UserRow | null> {
  const user = await userByName(ex, username);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
  if (!user || !ok) return null;
  if (needsRehash(user.passwordHash)) {
    const passwordHash = await hashPassword(password);
    // Only if unchanged meanwhile: an admin's new password must not be overwritten by the old one.
    await ex
      .update(users)
      .set({ passwordHash })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash)));
  }
  return user;
}
