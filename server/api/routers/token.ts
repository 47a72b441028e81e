import { TRPCError } from "@trpc/server";
import { tokenIssue, tokenList, tokenRevoke } from "../../../lib/schemas/auth";
import { issueToken, listTokens, revokeToken, tokenView } from "../../auth/credentials";
import { memberProcedure, router } from "../trpc";

/**
 * API tokens act as their user, with the user's current roles (a role taken away takes effect at once). Any
 * logged-in user manages their own; that changes no part of the model, so members may.
 */
export const tokenRouter = router({
  /** The token's value is in this answer only; the server keeps its digest. */
  issue: memberProcedure.input(tokenIssue).mutation(async ({ ctx, input }) => {
    const { row, token } = await issueToken(ctx.db, ctx.session, input.name, ctx.credentialPolicy);
    return { ...tokenView(row, ctx.session.user), token };
  }),
  list: memberProcedure
    .input(tokenList)
    .query(({ ctx, input }) => listTokens(ctx.db, ctx.session, input?.all ?? false)),
  revoke: memberProcedure.input(tokenRevoke).mutation(async ({ ctx, input }) => {
    const row = await revokeToken(ctx.db, ctx.session, input.id);
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Token not found (or already revoked)" });
    return { id: row.id, revoked_at: row.revokedAt?.toISOString() ?? null };
  }),
});
