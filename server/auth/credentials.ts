// Sessions (browser cookies) and API tokens (CLI, scripts): issuing them, and finding the caller behind one.
import { and, desc, eq, isNull, lt, or, type SQL } from "drizzle-orm";
import type { Executor } from "../db/client";
import { type ApiTokenRow, apiTokens, sessions, users } from "../db/schema";
import { isUuid } from "../domain/refs";
import { type Session, sessionOf } from "./access";
import { digest, newApiToken, newSessionId } from "./secrets";

/** A browser session ends after this long without a request: a forgotten browser does not stay logged in. */
const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** Sliding expiry and last-used times are written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000;

export async function createSession(
  ex: Executor,
  userId: string,
  projectId: string,
  now = new Date(),
): Promise<{ id: string; expiresAt: Date }> {
  const id = newSessionId();
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
  await ex.insert(sessions).values({ idHash: digest(id), userId, projectId, lastUsedAt: now, expiresAt });
  // Expired sessions are useless; removing them here keeps the table at the size of the live ones.
  await ex.delete(sessions).where(lt(sessions.expiresAt, now));
  return { id, expiresAt };
}

export async function sessionFromCookie(ex: Executor, id: string, now = new Date()): Promise<Session | null> {
  const idHash = digest(id);
  const [row] = await ex.select().from(sessions).where(eq(sessions.idHash, idHash));
  if (!row || row.expiresAt <= now) return null;
  if (now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await ex
      .update(sessions)
      .set({ lastUsedAt: now, expiresAt: new Date(now.getTime() + SESSION_IDLE_MS) })
      .where(eq(sessions.idHash, idHash));
  }
  return sessionOf(ex, row.userId, row.projectId, "cookie", idHash);
}

export async function endSession(ex: Executor, idHash: string): Promise<void> {
  await ex.delete(sessions).where(eq(sessions.idHash, idHash));
}

export async function issueToken(
  ex: Executor,
  session: Pick<Session, "userId" | "projectId">,
  name: string,
): Promise<{ row: ApiTokenRow; token: string }> {
  const token = newApiToken();
  const [row] = await ex
    .insert(apiTokens)
    .values({ tokenHash: digest(token), userId: session.userId, projectId: session.projectId, name })
    .returning();
  if (!row) throw new Error("insert returned nothing");
  return { row, token };
}

export async function sessionFromToken(
  ex: Executor,
  token: string,
  now = new Date(),
): Promise<Session | null> {
  const [row] = await ex
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, digest(token)), isNull(apiTokens.revokedAt)));
  if (!row) return null;
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await ex.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  return sessionOf(ex, row.userId, row.projectId, "token", row.id);
}

export function tokenView(row: ApiTokenRow, userName: string) {
  return {
    id: row.id,
    name: row.name,
    user: userName,
    user_id: row.userId,
    project_id: row.projectId,
    created_at: row.createdAt.toISOString(),
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
