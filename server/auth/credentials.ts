// Sessions (browser cookies) and API tokens (CLI, scripts): issuing them, and finding the caller behind one.
import { and, desc, eq, inArray, isNull, lt, ne, or, type SQL } from "drizzle-orm";
import type { Executor } from "../db/client";
import { type ApiTokenRow, apiTokens, sessions, users } from "../db/schema";
import { isUuid } from "../domain/refs";
import { type Session, sessionOf } from "./access";
import { digest, newApiToken, newSessionId } from "./secrets";

/** How long credentials last (NETLENS_SESSION_IDLE_TIMEOUT, NETLENS_SESSION_LIFETIME, NETLENS_TOKEN_EXPIRATION). */
export type CredentialPolicy = {
  /** A browser session ends after this long without a request: a forgotten browser does not stay logged in. */
  sessionIdleMs: number;
  /** ...and this long after the login however busy it is: a stolen cookie is not good forever. */
  sessionLifetimeMs: number;
  /** An API token is valid this long after it was issued, as Keystone's tokens are. */
  tokenLifetimeMs: number;
};

export const defaultCredentialPolicy: CredentialPolicy = {
  sessionIdleMs: 2 * 3600_000,
  sessionLifetimeMs: 12 * 3600_000,
  tokenLifetimeMs: 12 * 3600_000,
};

/** Sliding expiry and last-used times are written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000;

/** The idle expiry as of `now`, never past the session's absolute end. */
function slidingExpiry(createdAt: Date, now: Date, policy: CredentialPolicy): Date {
  return new Date(
    Math.min(now.getTime() + policy.sessionIdleMs, createdAt.getTime() + policy.sessionLifetimeMs),
  );
}

export async function createSession(
  ex: Executor,
  userId: string,
  projectId: string,
  policy: CredentialPolicy,
  now = new Date(),
): Promise<{ id: string; expiresAt: Date }> {
  const id = newSessionId();
  const expiresAt = slidingExpiry(now, now, policy);
  await ex
    .insert(sessions)
    .values({ idHash: digest(id), userId, projectId, createdAt: now, lastUsedAt: now, expiresAt });
  // Expired sessions are useless; removing them here keeps the table at the size of the live ones.
  await ex.delete(sessions).where(lt(sessions.expiresAt, now));
  return { id, expiresAt };
}

export async function sessionFromCookie(
  ex: Executor,
  id: string,
  policy: CredentialPolicy,
  now = new Date(),
): Promise<Session | null> {
  const idHash = digest(id);
  const [row] = await ex.select().from(sessions).where(eq(sessions.idHash, idHash));
  if (!row) return null;
  // Against today's policy too, not only the expiry stored at the last use: a shorter one applies at once.
  if (row.expiresAt <= now || slidingExpiry(row.createdAt, row.lastUsedAt, policy) <= now) return null;
  if (now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await ex
      .update(sessions)
      .set({ lastUsedAt: now, expiresAt: slidingExpiry(row.createdAt, now, policy) })
      .where(eq(sessions.idHash, idHash));
  }
  return sessionOf(ex, row.userId, row.projectId, "cookie", idHash);
}

export async function endSession(ex: Executor, idHash: string): Promise<void> {
  await ex.delete(sessions).where(eq(sessions.idHash, idHash));
}

/**
 * Every session and token of a user ends (a password change: whoever held one may have known the old
 * password), except `keep`, the credential the change was made with.
 */
export async function revokeCredentials(
  ex: Executor,
  userId: string,
  keep: Pick<Session, "via" | "credential"> | null,
  now = new Date(),
): Promise<void> {
  const keepSession = keep?.via === "cookie" && keep.credential ? keep.credential : null;
  const keepToken = keep?.via === "token" && keep.credential ? keep.credential : null;
  await ex
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), keepSession ? ne(sessions.idHash, keepSession) : undefined));
  await ex
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(
      and(
        eq(apiTokens.userId, userId),
        isNull(apiTokens.revokedAt),
        keepToken ? ne(apiTokens.id, keepToken) : undefined,
      ),
    );
}

/**
 * Issuing prunes tokens that expired over this long ago: every `openstack` command issues one, and they would
 * pile up forever. One expired more recently still answers "expired at …" and stays in `netlens token list`.
 */
export const PRUNE_AFTER_MS = 24 * 3600_000;
/** At most this many per issue, so that no issue waits for a big backlog: each issue removes more than it adds. */
export const PRUNE_BATCH = 100;

export async function issueToken(
  ex: Executor,
  session: { userId: string; projectId: string | null },
  name: string,
  policy: Pick<CredentialPolicy, "tokenLifetimeMs">,
  now = new Date(),
): Promise<{ row: ApiTokenRow; token: string }> {
  const token = newApiToken();
  const [row] = await ex
    .insert(apiTokens)
    .values({
      tokenHash: digest(token),
      userId: session.userId,
      projectId: session.projectId,
      name,
      createdAt: now,
      expiresAt: new Date(now.getTime() + policy.tokenLifetimeMs),
    })
    .returning();
  if (!row) throw new Error("insert returned nothing");
  const stale = ex
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(lt(apiTokens.expiresAt, new Date(now.getTime() - PRUNE_AFTER_MS)))
    .limit(PRUNE_BATCH);
  await ex.delete(apiTokens).where(inArray(apiTokens.id, stale));
  return { row, token };
}

/** The caller behind a token and the token itself (its expiry, for Keystone's answers), or why there is none. */
export type TokenCheck = { session: Session; row: ApiTokenRow } | { session: null; error: string };

/** The caller behind an API token, or why there is none (the answer's message). */
export async function sessionFromToken(ex: Executor, token: string, now = new Date()): Promise<TokenCheck> {
  const [row] = await ex
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, digest(token)));
  if (!row || row.revokedAt !== null) return { session: null, error: "Invalid or revoked API token" };
  if (row.expiresAt <= now) {
    return {
      session: null,
      error: `API token expired at ${row.expiresAt.toISOString()}; issue a new one (netlens token issue)`,
    };
  }
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await ex.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  const session = await sessionOf(ex, row.userId, row.projectId, "token", row.id);
  return session ? { session, row } : { session: null, error: "Invalid or revoked API token" };
}

export function tokenView(row: ApiTokenRow, userName: string) {
  return {
    id: row.id,
    name: row.name,
    user: userName,
    user_id: row.userId,
    project_id: row.projectId,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}
export type TokenView = ReturnType<typeof tokenView>;

/** The caller's tokens, or everyone's (admins asking for `all`); revoked ones too, newest first. */
export async function listTokens(ex: Executor, session: Session, all: boolean): Promise<TokenView[]> {
  const where: SQL | undefined =
    all && session.role === "admin" ? undefined : eq(apiTokens.userId, session.userId);
  const rows = await ex
    .select({ token: apiTokens, user: users.name })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(where)
    .orderBy(desc(apiTokens.createdAt));
  return rows.map((r) => tokenView(r.token, r.user));
}

/**
 * Revokes a token named by its ID or its value. Others' tokens are NOT_FOUND to members (as any resource they
 * may not see); admins may revoke anyone's.
 */
export async function revokeToken(
  ex: Executor,
  session: Session,
  ref: string,
): Promise<ApiTokenRow | undefined> {
  const byRef = or(
    eq(apiTokens.tokenHash, digest(ref)),
    // Only a UUID can be an ID: anything else of that length made PostgreSQL fail the whole query.
    ...(isUuid(ref) ? [eq(apiTokens.id, ref)] : []),
  );
  const mine = session.role === "admin" ? undefined : eq(apiTokens.userId, session.userId);
  const [row] = await ex
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(byRef, mine, isNull(apiTokens.revokedAt)))
    .returning();
  return row;
}
