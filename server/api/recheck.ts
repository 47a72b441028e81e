// Subscriptions (SSE) outlive the request that authenticated them: they look their caller up again as they go,
// so that logout, a revoked or expired token, a password change or a role taken away ends them.
import type { Session } from "../auth/access";
import type { Context } from "./trpc";

/** At most this often: a look is a few queries, and events may come many times a second. */
const RECHECK_MS = 5_000;

/**
 * The caller as of now: the context's session, looked up again once RECHECK_MS have passed since the last look;
 * null from the moment it no longer authenticates. In-process callers (no HTTP request) stay as they are.
 */
export function recheckedCaller(
  ctx: Pick<Context, "session" | "reauthenticate">,
): () => Promise<Session | null> {
  let session = ctx.session;
  let checked = Date.now();
  return async () => {
    if (session && ctx.reauthenticate && Date.now() - checked >= RECHECK_MS) {
      session = await ctx.reauthenticate();
      checked = Date.now();
    }
    return session;
  };
}
