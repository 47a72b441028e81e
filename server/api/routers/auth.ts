import { TRPCError } from "@trpc/server";
import { login, logout, whoami } from "../../../lib/schemas/auth";
import { actorOf, assignmentsOf, viewerOf } from "../../auth/access";
import { createSession, endSession } from "../../auth/credentials";
import { clearedSessionCookie, sessionCookie } from "../../auth/http";
import { attemptLogin } from "../../auth/login";
import { publicProcedure, router } from "../trpc";

/** One answer for every bad name or password: which one was wrong is for the attacker to find out slowly. */
const INVALID = "Invalid username or password";

export const authRouter = router({
  /** Checks the password, starts a session and sets its cookie (HTTP callers); answers whoami. */
  login: publicProcedure.input(login).mutation(async ({ ctx, input }) => {
    const attempt = await attemptLogin(ctx, {
      username: input.username,
      password: input.password,
      address: ctx.request?.address ?? "in-process",
    });
    if (attempt.waitMs > 0) {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `Too many failed logins for ${input.username}; try again in ${Math.ceil(attempt.waitMs / 1000)} s`,
      });
    }
    const { user } = attempt;
    if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: INVALID });
    const assignments = await assignmentsOf(ctx.db, user.id);
    const scope = input.project
      ? assignments.find((a) => a.projectId === input.project || a.projectName === input.project)
      : assignments[0];
    if (!scope) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: input.project
          ? `User ${user.name} has no role on project ${input.project}`
          : `User ${user.name} has no role on any project; ask an admin for one`,
      });
    }
    const actor = actorOf(user, assignments, scope.projectId);
    if (!actor) throw new Error("unreachable: the user has the scope's assignment");
    const { id, expiresAt } = await createSession(ctx.db, user.id, scope.projectId, ctx.credentialPolicy);
    ctx.request?.setCookie(sessionCookie(id, { secure: ctx.request.secure }));
    const session = { ...actor, userId: user.id, via: "cookie" as const, credential: null };
    return { ...(await viewerOf(ctx.db, session)), expires_at: expiresAt.toISOString() };
  }),

  /** Ends the cookie's session (if any) and clears the cookie; harmless when not logged in. */
  logout: publicProcedure.input(logout).mutation(async ({ ctx }) => {
    if (ctx.session?.via === "cookie" && ctx.session.credential)
      await endSession(ctx.db, ctx.session.credential);
    if (ctx.request) ctx.request.setCookie(clearedSessionCookie(ctx.request.secure));
    return { ok: true };
  }),

  /** Who the caller is, their role and projects; null when not logged in (the UI then shows the login page). */
  whoami: publicProcedure
    .input(whoami)
    .query(async ({ ctx }) => (ctx.session ? viewerOf(ctx.db, ctx.session) : null)),
});
