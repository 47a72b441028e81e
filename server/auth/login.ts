// Checking a password at login, and keeping its stored hash at today's cost.
import { setTimeout as sleep } from "node:timers/promises";
import { and, eq } from "drizzle-orm";
import type { Executor } from "../db/client";
import { type UserRow, users } from "../db/schema";
import { userByName } from "./access";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "./password";
import { recentPasswords } from "./recent-passwords";
import type { LoginThrottle } from "./throttle";

/**
 * The user whose name and password these are, or null. Unknown users cost the same scrypt as known ones, so
 * timing does not tell which names exist. A hash made with older parameters is replaced by one made with
 * today's, which only a login can do (only then is the password at hand). A correct password checked a short
 * while ago is not hashed again (./recent-passwords.ts).
 */
export async function checkPassword(
  ex: Executor,
  username: string,
  password: string,
): Promise<UserRow | null> {
  const user = await userByName(ex, username);
  const ok = user
    ? await recentPasswords.check(user.id, user.passwordHash, password)
    : await verifyPassword(password, await dummyHash());
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

export type LoginAttempt = { user: UserRow; waitMs: 0 } | { user: null; waitMs: number };

/**
 * A login attempt under the throttle: the user, or null with how long this user must wait from this address
 * (0: the password was wrong). A wrong password is answered no sooner than `loginFailureDelayMs` after `started`.
 */
export async function attemptLogin(
  deps: { db: Executor; loginThrottle: LoginThrottle; loginFailureDelayMs: number },
  credentials: { username: string; password: string; address: string },
  started = Date.now(),
): Promise<LoginAttempt> {
  const { username, password, address } = credentials;
  const waitMs = deps.loginThrottle.begin(username, address);
  if (waitMs > 0) return { user: null, waitMs };
  const user = await checkPassword(deps.db, username, password);
  if (!user) {
    await sleep(Math.max(0, started + deps.loginFailureDelayMs - Date.now()));
    return { user: null, waitMs: 0 };
  }
  deps.loginThrottle.succeeded(username, address);
  return { user, waitMs: 0 };
}
